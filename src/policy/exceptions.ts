// FlinkHAException, read: an object of that kind (from the watch, a manifest or a live read) checked against what
// the CRD's schema enforces, into a typed exception or a list of problems. Pure; the matching is exceptions-match.ts.
import type { KubeObject } from '../kube/objects.ts';
import type { RuleId } from './types.ts';

export const EXCEPTION_GROUP = 'flink-ha.io';
export const EXCEPTION_API_VERSION = `${EXCEPTION_GROUP}/v1alpha1`;
export const EXCEPTION_KIND = 'FlinkHAException';

/** The rules an exception may switch off: the workload rules. `*` in spec.rules means all of them. */
export const WORKLOAD_RULE_IDS = [
  'ha-enabled', 'ha-storage-dir', 'cluster-id', 'ha-namespace', 'checkpoint-dir', 'standby-jobmanagers', 'pod-ip-address', 'ha-service-account',
] as const satisfies readonly RuleId[];
/** The HA guards: never excepted; their way out is the guarded release annotation. */
export const GUARD_RULE_IDS = [
  'protect-ha-configmap', 'no-owner-reference', 'no-ha-data-strip', 'protect-namespace', 'protect-flink-deployment',
] as const satisfies readonly RuleId[];

export type WorkloadRuleId = (typeof WORKLOAD_RULE_IDS)[number];

export interface ExceptionSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface FlinkHAException {
  namespace: string;
  name: string;
  match: { namespaces: string[]; kinds?: string[]; names?: string[]; selector?: ExceptionSelector };
  rules: ReadonlySet<WorkloadRuleId>;
  reason: string;
  ticket?: string;
  owner?: string;
  /** spec.expires as written, and as epoch milliseconds. */
  expires: string;
  expiresAt: number;
}

export type ReadException = { ok: true; exception: FlinkHAException } | { ok: false; namespace: string; name: string; problems: string[] };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 3339 date-time, as the CRD's schema checks it (a bare date or a local time is refused: no zone, no instant). */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);
const WORKLOAD = new Set<string>(WORKLOAD_RULE_IDS);
const GUARD = new Set<string>(GUARD_RULE_IDS);

export function isExceptionObject(obj: KubeObject | null | undefined): obj is KubeObject {
  return obj?.kind === EXCEPTION_KIND && typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith(`${EXCEPTION_GROUP}/`);
}

const cache = new WeakMap<KubeObject, ReadException>();

/** Reads an exception once per object (the watch hands the same objects to every review until they change). */
export function readException(obj: KubeObject, defaultNamespace = 'default'): ReadException {
  let read = cache.get(obj);
  if (!read) {
    read = readUncached(obj, defaultNamespace);
    cache.set(obj, read);
  }
  return read;
}

function readUncached(obj: KubeObject, defaultNamespace: string): ReadException {
  const namespace = typeof obj.metadata?.namespace === 'string' ? obj.metadata.namespace : defaultNamespace;
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '(unnamed)';
  const problems: string[] = [];
  if (obj.apiVersion !== EXCEPTION_API_VERSION) problems.push(`apiVersion must be ${EXCEPTION_API_VERSION}, not ${String(obj.apiVersion)}`);
  const spec = record(obj.spec);
  if (!spec) return { ok: false, namespace, name, problems: [...problems, 'spec is missing'] };

  const match = record(spec.match);
  const namespaces = match ? strings(match.namespaces, 'spec.match.namespaces', problems, DNS_LABEL) : undefined;
  if (!match) problems.push('spec.match is missing: say which namespaces (and kinds, names or a label selector) it covers');
  else if (!namespaces || namespaces.length === 0) problems.push('spec.match.namespaces must name at least one namespace');
  const kinds = match?.kinds === undefined ? undefined : strings(match.kinds, 'spec.match.kinds', problems, /^[A-Z][A-Za-z0-9]*$/);
  const names = match?.names === undefined ? undefined : strings(match.names, 'spec.match.names', problems, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  const selector = match?.selector === undefined ? undefined : readSelector(match.selector, problems);

  const rules = new Set<WorkloadRuleId>();
  const ruleList = strings(spec.rules, 'spec.rules', problems);
  if (!ruleList || ruleList.length === 0) problems.push(`spec.rules must list the rules it switches off (${WORKLOAD_RULE_IDS.join(', ')}, or * for all of them)`);
  for (const id of ruleList ?? []) {
    if (id === '*') for (const w of WORKLOAD_RULE_IDS) rules.add(w);
    else if (WORKLOAD.has(id)) rules.add(id as WorkloadRuleId);
    else if (GUARD.has(id)) problems.push(`spec.rules: ${id} is an HA guard, which no exception switches off; its way out is the release annotation flink-ha.io/release, set by an owner or a cluster admin`);
    else problems.push(`spec.rules: ${id} is no workload rule (one of ${WORKLOAD_RULE_IDS.join(', ')}, or *)`);
  }

  const reason = nonBlank(spec.reason);
  if (!reason) problems.push('spec.reason must say why the rules do not apply');
  const ticket = nonBlank(spec.ticket);
  const owner = nonBlank(spec.owner);
  if (!ticket && !owner) problems.push('spec.ticket or spec.owner must say who answers for it');
  const expires = typeof spec.expires === 'string' ? spec.expires : undefined;
  const expiresAt = expires !== undefined && RFC3339.test(expires) ? Date.parse(expires) : Number.NaN;
  if (!Number.isFinite(expiresAt)) problems.push(`spec.expires must be an RFC 3339 time such as 2027-01-31T00:00:00Z (found ${expires === undefined ? 'none' : JSON.stringify(expires)}); every exception ends`);

  if (problems.length > 0) return { ok: false, namespace, name, problems };
  return {
    ok: true,
    exception: {
      namespace, name, rules, reason: reason!, expires: expires!, expiresAt,
      match: { namespaces: namespaces!, ...(kinds ? { kinds } : {}), ...(names ? { names } : {}), ...(selector ? { selector } : {}) },
      ...(ticket ? { ticket } : {}), ...(owner ? { owner } : {}),
    },
  };
}

function readSelector(value: unknown, problems: string[]): ExceptionSelector | undefined {
  const sel = record(value);
  if (!sel) {
    problems.push('spec.match.selector must be a label selector (matchLabels, matchExpressions)');
    return undefined;
  }
  const out: ExceptionSelector = {};
  if (sel.matchLabels !== undefined) {
    const labels = record(sel.matchLabels);
    if (!labels || Object.values(labels).some((v) => typeof v !== 'string')) problems.push('spec.match.selector.matchLabels must map label keys to strings');
    else out.matchLabels = labels as Record<string, string>;
  }
  if (sel.matchExpressions !== undefined) {
    if (!Array.isArray(sel.matchExpressions)) problems.push('spec.match.selector.matchExpressions must be a list');
    else {
      out.matchExpressions = [];
      for (const [i, raw] of sel.matchExpressions.entries()) {
        const e = record(raw);
        const values = e && Array.isArray(e.values) && e.values.every((v) => typeof v === 'string') ? e.values : undefined;
        const needsValues = e?.operator === 'In' || e?.operator === 'NotIn';
        if (!e || typeof e.key !== 'string' || !OPERATORS.has(e.operator as string) || (needsValues ? !values?.length : (e.values !== undefined && (values?.length ?? 0) > 0))) {
          problems.push(`spec.match.selector.matchExpressions[${i}] must have a key, an operator In, NotIn, Exists or DoesNotExist, and values for In and NotIn only`);
        } else out.matchExpressions.push({ key: e.key, operator: e.operator as 'In', ...(values ? { values } : {}) });
      }
    }
  }
  return out;
}

function strings(value: unknown, where: string, problems: string[], pattern?: RegExp): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    problems.push(`${where} must be a list of strings`);
    return undefined;
  }
  const bad = pattern ? value.filter((v) => !pattern.test(v)) : [];
  if (bad.length > 0) problems.push(`${where}: ${bad.map((b) => JSON.stringify(b)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not valid (no wildcards: name each one)`);
  return value;
}

function nonBlank(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
}
