// The Reports the background audit keeps in the cluster (openreports.io/v1alpha1): audit findings in, one Report per
// namespace with something to report (and one ClusterReport for cluster-wide findings) out. Pure and deterministic:
// the same findings in any order give byte-identical objects and the same content hash, so the writer
// (src/reports/writer.ts) rewrites a Report only when what it says changed.
import { createHash } from 'node:crypto';
import { ACTION_SEVERITY, type AuditFinding } from '../audit/types.ts';
import { RESULT, SEVERITY, type PolicyResult } from '../report/policyreport.ts';

export const REPORTS_GROUP = 'openreports.io';
export const REPORTS_VERSION = 'v1alpha1';
export const REPORTS_API_VERSION = `${REPORTS_GROUP}/${REPORTS_VERSION}`;
/** One per namespace: the name is fixed, so a namespace never holds two of ours. */
export const REPORT_NAME = 'flink-ha-webhook';
export const REPORT_SOURCE = 'flink-ha-webhook';
export const POLICY_NAME = 'flink-ha';
export const MANAGED_BY = { key: 'app.kubernetes.io/managed-by', value: 'flink-ha-webhook' } as const;
/** sha256 of the content (everything but metadata): equal hash, no write. */
export const HASH_ANNOTATION = 'flink-ha.io/report-hash';
/** Results left out by the bound (the summary still counts them). */
export const OMITTED_ANNOTATION = 'flink-ha.io/results-omitted';
/** A message or fix longer than this is cut (ours are a few hundred bytes; the bound is what keeps a Report small). */
export const MAX_TEXT = 1024;

export type ReportResultStatus = PolicyResult;

// The mapping `audit -o policyreport` uses (src/report/policyreport.ts): one meaning whichever face wrote it.
const STATUS = RESULT;
/** Passes are counted, not listed: a report lists what needs someone's attention. */
const LISTED: ReportResultStatus[] = ['fail', 'warn', 'error', 'skip'];

export interface ReportResult {
  source: string;
  policy: string;
  rule: string;
  result: ReportResultStatus;
  severity?: 'high' | 'medium';
  scored: boolean;
  message: string;
  resources: Array<{ apiVersion?: string; kind: string; name: string; namespace?: string }>;
  properties: Record<string, string>;
}

export interface ReportObject {
  apiVersion: typeof REPORTS_API_VERSION;
  kind: 'Report' | 'ClusterReport';
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string> };
  source: string;
  configuration: { limits: { maxResults: number; statusFilter: ReportResultStatus[] } };
  summary: Record<ReportResultStatus, number>;
  results: ReportResult[];
}

export interface BuiltReports {
  /** By namespace name, in code-point order; only namespaces with at least one listed (non-pass) finding. */
  namespaced: ReportObject[];
  /** Findings about no namespace (webhook coverage, RBAC, cluster-wide permissions); undefined when none. */
  cluster?: ReportObject;
}

export interface BuildOptions {
  maxResults: number;
}

export function buildReports(findings: readonly AuditFinding[], options: BuildOptions): BuiltReports {
  if (!Number.isInteger(options.maxResults) || options.maxResults < 1) throw new Error(`maxResults must be a positive integer (got ${options.maxResults})`);
  const byNamespace = new Map<string, AuditFinding[]>();
  const clusterWide: AuditFinding[] = [];
  for (const f of findings) {
    if (f.namespace === undefined || f.namespace === '') {
      clusterWide.push(f);
      continue;
    }
    let list = byNamespace.get(f.namespace);
    if (!list) byNamespace.set(f.namespace, (list = []));
    list.push(f);
  }
  const namespaced: ReportObject[] = [];
  for (const namespace of [...byNamespace.keys()].sort(compare)) {
    const report = reportOf(byNamespace.get(namespace)!, options.maxResults, namespace);
    if (report) namespaced.push(report);
  }
  const cluster = reportOf(clusterWide, options.maxResults);
  return cluster ? { namespaced, cluster } : { namespaced };
}

function reportOf(findings: AuditFinding[], maxResults: number, namespace?: string): ReportObject | undefined {
  const summary: Record<ReportResultStatus, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  const listed: AuditFinding[] = [];
  for (const f of findings) {
    const status = STATUS[f.action];
    summary[status]++;
    if (status !== 'pass') listed.push(f);
  }
  // Nothing left to report: no Report (the writer deletes one that exists).
  if (listed.length === 0) return undefined;
  // One finding said twice (the same rule, object, action and words) is one result.
  const unique = [...new Map(listed.map((f) => [identity(f), f])).entries()].sort(byAttention);
  const kept = unique.slice(0, maxResults).map(([, f]) => f);
  const omitted = unique.length - kept.length;
  const content = {
    source: REPORT_SOURCE,
    configuration: { limits: { maxResults, statusFilter: LISTED } },
    summary,
    results: kept.map(resultOf),
  };
  const hash = createHash('sha256').update(JSON.stringify(content)).digest('hex');
  return {
    apiVersion: REPORTS_API_VERSION,
    kind: namespace === undefined ? 'ClusterReport' : 'Report',
    metadata: {
      name: REPORT_NAME,
      ...(namespace === undefined ? {} : { namespace }),
      labels: { [MANAGED_BY.key]: MANAGED_BY.value },
      annotations: { [HASH_ANNOTATION]: hash, [OMITTED_ANNOTATION]: String(omitted) },
    },
    ...content,
  };
}

function resultOf(f: AuditFinding): ReportResult {
  const properties: Record<string, string> = { action: f.action };
  if (f.fix) properties.fix = cut(f.fix);
  if (f.clusterId) properties.clusterId = f.clusterId;
  return {
    source: REPORT_SOURCE,
    policy: POLICY_NAME,
    rule: f.rule,
    result: STATUS[f.action],
    ...(SEVERITY[f.action] ? { severity: SEVERITY[f.action] } : {}),
    scored: true,
    message: cut(f.message),
    resources: [{ ...(f.apiVersion ? { apiVersion: f.apiVersion } : {}), kind: f.kind, name: f.name, ...(f.namespace ? { namespace: f.namespace } : {}) }],
    properties,
  };
}

/** Worst first; then a total order on what a result shows, so no input order can reorder a Report. */
function byAttention([ka, a]: [string, AuditFinding], [kb, b]: [string, AuditFinding]): number {
  return ACTION_SEVERITY[b.action] - ACTION_SEVERITY[a.action] || compare(ka, kb);
}

function identity(f: AuditFinding): string {
  return [f.clusterId ?? '', f.kind, f.name, f.rule, f.action, f.apiVersion ?? '', f.message, f.fix ?? ''].join('\u0000');
}

function cut(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`;
}

/** Code-point order: names are ASCII, and it does not depend on the process's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
