// Which FlinkHAExceptions cover an object: pure, given the exception objects, the namespaces whose exceptions count
// (config.exceptionNamespaces: RBAC there decides who may exempt) and the time (read at the edge, never here).
import { selectorMatches } from '../audit/label-selector.ts';
import type { KubeObject } from '../kube/objects.ts';
import { readException, type FlinkHAException } from './exceptions.ts';
import type { ExceptionsView } from './types.ts';

export interface ExceptionSubject {
  namespace: string;
  kind: string;
  name: string;
  labels: Record<string, string>;
}

export interface ExceptionVerdict {
  /** Honoured and in force: their rules are exempt. */
  applied: FlinkHAException[];
  /** Would cover the object, but expired: ignored, and said so. */
  expired: FlinkHAException[];
  /** Would cover the object, but live in a namespace whose exceptions do not count: ignored, and said so. */
  misplaced: FlinkHAException[];
}

export function coversSubject(e: FlinkHAException, s: ExceptionSubject): boolean {
  const m = e.match;
  if (!m.namespaces.includes(s.namespace)) return false;
  if (m.kinds && !m.kinds.includes(s.kind)) return false;
  if (m.names && !m.names.includes(s.name)) return false;
  return !m.selector || selectorMatches(m.selector, s.labels);
}

/** Malformed exceptions cover nothing (what they meant cannot be trusted); they are reported on themselves. */
export function matchExceptions(subject: ExceptionSubject, view: ExceptionsView, honoured: readonly string[]): ExceptionVerdict {
  const verdict: ExceptionVerdict = { applied: [], expired: [], misplaced: [] };
  for (const obj of view.objects) {
    const read = readException(obj);
    if (!read.ok || !coversSubject(read.exception, subject)) continue;
    const e = read.exception;
    if (!honoured.includes(e.namespace)) verdict.misplaced.push(e);
    else if (e.expiresAt <= view.now) verdict.expired.push(e);
    else verdict.applied.push(e);
  }
  return verdict;
}

/** `FlinkHAException ns/name (ticket T, owner O, expires E)`: what warnings and audit annotations name. */
export function describeException(e: FlinkHAException): string {
  const who = [e.ticket ? `ticket ${e.ticket}` : '', e.owner ? `owner ${e.owner}` : ''].filter(Boolean);
  return `FlinkHAException ${e.namespace}/${e.name} (${[...who, `expires ${e.expires}`].join(', ')})`;
}

export interface ExceptionProblem {
  action: 'denied' | 'warned';
  message: string;
  fix: string;
}

/** What is wrong with an exception object itself (malformed, in a namespace that does not count, expired). */
export function exceptionObjectProblem(obj: KubeObject, namespace: string, honoured: readonly string[], now: number | undefined): ExceptionProblem | undefined {
  const read = readException(obj, namespace);
  if (!read.ok) {
    return {
      action: 'denied',
      message: `FlinkHAException ${read.namespace}/${read.name} is malformed and exempts nothing: ${read.problems.join('; ')}`,
      fix: 'correct it (docs/exceptions.md); with the CRD installed the API server refuses it as written',
    };
  }
  const e = read.exception;
  if (!honoured.includes(e.namespace)) {
    return {
      action: 'warned',
      message: `${describeException(e)} is in namespace ${e.namespace}, where exceptions do not count (exceptionNamespaces: ${honoured.join(', ')}): it exempts nothing`,
      fix: `ask a platform admin to create it in ${honoured[0] ?? 'an exception namespace'}, or delete it`,
    };
  }
  if (now !== undefined && e.expiresAt <= now) {
    return {
      action: 'warned',
      message: `${describeException(e)} expired: it exempts nothing, and the rules ${[...e.rules].join(', ')} apply again to what it covers`,
      fix: `delete it, or, if the exception is still needed, renew spec.expires (${e.ticket ? `ticket ${e.ticket}` : `owner ${e.owner ?? ''}`})`,
    };
  }
  return undefined;
}
