// Which mode applies to a request (enforce, warn, audit) and which exemption, if any. Exemptions leave a trail: a
// FlinkHAException (a separate object, in a namespace RBAC guards, with a ticket and an expiry) is named in a note
// on every review it applies to. The old exempt label counts only while `legacyExemptLabel` keeps it for a release.
import { describeException, matchExceptions } from './exceptions-match.ts';
import { finding, type Target } from './target.ts';
import type { Finding, Mode } from './types.ts';

export interface Exemption {
  reason: string;
  /** From an exempt label (the object's or the namespace's), which namespace users can set: guards ignore it. */
  byLabel?: boolean;
  /** From FlinkHAExceptions: only these rules are exempt (the guards never are). Absent: every rule. */
  rules?: ReadonlySet<string>;
}

export interface ResolvedMode {
  mode: Mode;
  exemption?: Exemption;
  /** `flink-ha-exception` and `legacy-exempt-label` notes: which exemption applies or no longer does, and why. */
  notes: Finding[];
}

const MODES = new Set<Mode>(['enforce', 'warn', 'audit']);

export async function resolveMode(t: Target): Promise<ResolvedMode> {
  const { config } = t;
  if (config.excludedNamespaces.includes(t.namespace)) {
    return { mode: 'audit', exemption: { reason: `namespace ${t.namespace} is excluded in the webhook config` }, notes: [] };
  }
  // The HA guards answer to the webhook's own config only: a label that anyone with namespace rights can set must
  // not switch off what protects the namespace's HA state. Their way out is the guarded release annotation.
  const guarded = t.classified.shape === 'ha-configmap' || t.classified.shape === 'namespace';
  if (guarded) return { mode: config.guardMode, notes: [] };
  const notes: Finding[] = [];
  const meta = await t.cluster.namespaceMeta(t.namespace);
  const label = labelExemption(t, meta, notes);
  const excepted = exceptionExemption(t, notes);
  const modeLabel = meta?.labels[config.modeLabel] as Mode | undefined;
  const mode = modeLabel && MODES.has(modeLabel) ? modeLabel : (config.namespaceModes[t.namespace] ?? config.mode);
  // The label (kept for one release) exempts every rule; an exception only the rules it names.
  if (label) return { mode: 'enforce', exemption: label, notes };
  return excepted ? { mode, exemption: excepted, notes } : { mode, notes };
}

/** The retired exempt label, on the object or its namespace: an exemption only while legacyExemptLabel is on. */
function labelExemption(t: Target, meta: { labels: Record<string, string>; annotations: Record<string, string> } | undefined, notes: Finding[]): Exemption | undefined {
  const { config } = t;
  const obj = t.draft ?? t.old;
  const onObject = obj?.metadata?.labels?.[config.exemptLabel] === 'true';
  const onNamespace = meta?.labels[config.exemptLabel] === 'true';
  if (!onObject && !onNamespace) return undefined;
  const where = onObject ? 'it' : `its namespace ${t.namespace}`;
  const reason = onObject ? reasonOf(obj?.metadata?.annotations?.[config.exemptReasonAnnotation]) : `namespace ${t.namespace}: ${reasonOf(meta?.annotations[config.exemptReasonAnnotation])}`;
  const fix = `ask a platform admin for a FlinkHAException in ${config.exceptionNamespaces.join(' or ')} naming the rules, a ticket and an expiry (docs/exceptions.md), then remove the label ${config.exemptLabel} from ${onObject ? 'the object' : `namespace ${t.namespace}`}`;
  if (!config.legacyExemptLabel) {
    notes.push(finding('legacy-exempt-label', 'warned', `${where} carries ${config.exemptLabel}=true, which no longer exempts anything (anyone who may edit ${onObject ? 'the object' : 'the namespace'} could set it, with no expiry): the workload rules apply`, fix));
    return undefined;
  }
  notes.push(finding('legacy-exempt-label', 'warned', `${where} is exempt through ${config.exemptLabel}=true (${reason}) only while legacyExemptLabel is on, for this release`, fix));
  return { reason, byLabel: true };
}

/** FlinkHAExceptions covering the object: the ones that count exempt their rules; expired and misplaced ones are said. */
function exceptionExemption(t: Target, notes: Finding[]): Exemption | undefined {
  if (!t.cluster.exceptions) return undefined;
  const obj = t.draft ?? t.old;
  const view = t.cluster.exceptions();
  if (!view) {
    notes.push(finding('flink-ha-exception', 'unchecked', 'could not read the FlinkHAExceptions (the webhook has not listed them yet): none applied, every rule is checked', 'retry in a few seconds; if it persists, check that the FlinkHAException CRD is installed and the webhook may list and watch it'));
    return undefined;
  }
  if (view.objects.length === 0 || !obj) return undefined;
  const subject = { namespace: t.namespace, kind: obj.kind ?? '', name: obj.metadata?.name ?? '', labels: obj.metadata?.labels ?? {} };
  const verdict = matchExceptions(subject, view, t.config.exceptionNamespaces);
  for (const e of verdict.expired) {
    notes.push(finding('flink-ha-exception', 'warned', `${describeException(e)} covers it but expired: ignored, the rules ${[...e.rules].join(', ')} apply`, `delete the exception or renew its spec.expires; until then fix what the rules report`));
  }
  for (const e of verdict.misplaced) {
    notes.push(finding('flink-ha-exception', 'warned', `${describeException(e)} covers it but is in namespace ${e.namespace}, where exceptions do not count (exceptionNamespaces: ${t.config.exceptionNamespaces.join(', ')}): ignored`, `ask a platform admin for an exception in ${t.config.exceptionNamespaces.join(' or ')}`));
  }
  if (verdict.applied.length === 0) return undefined;
  const rules = new Set<string>();
  for (const e of verdict.applied) for (const r of e.rules) rules.add(r);
  const named = verdict.applied.map((e) => `${describeException(e)}: ${e.reason}`).join('; ');
  notes.push(finding('flink-ha-exception', 'warned', `exempt from ${[...rules].join(', ')} by ${named}`, 'fix what the exempt rules report before the exception expires'));
  return { reason: verdict.applied.map((e) => `FlinkHAException ${e.namespace}/${e.name}${e.ticket ? `, ticket ${e.ticket}` : ''}`).join('; '), rules };
}

function reasonOf(annotation: string | undefined): string {
  return annotation && annotation.trim() !== '' ? annotation.trim() : 'no reason given';
}
