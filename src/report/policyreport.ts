// `-o policyreport`: one report per namespace and one cluster-scoped report, in either API: wgpolicyk8s.io/v1alpha2
// PolicyReport/ClusterPolicyReport (the default; what Policy Reporter and older Kyverno read) or openreports.io/v1alpha1
// Report/ClusterReport (what Kyverno 1.19 and Kubewarden emit by default; the same results, plus a report-level
// source). Output is multi-document YAML that `kubectl apply -f -` accepts.
import yaml from 'js-yaml';
import { whereOf } from '../sources/origin.ts';
import type { AuditAction, AuditFinding, AuditReport } from '../audit/types.ts';
import { sortFindings } from '../audit/summary.ts';

export const POLICY_NAME = 'flink-ha';
export const REPORT_SOURCE = 'flink-ha-webhook';
export const REPORT_NAME = 'flink-ha-webhook';

/** A finding's result and severity in a policy report; the in-cluster Reports (src/reports/build.ts) use the same. */
export type PolicyResult = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

export const RESULT: Record<AuditAction, PolicyResult> = {
  denied: 'fail',
  error: 'error',
  warned: 'warn',
  mutated: 'warn',
  unchecked: 'skip',
  exempt: 'skip',
  passed: 'pass',
};

export const SEVERITY: Partial<Record<AuditAction, 'high' | 'medium'>> = { denied: 'high', error: 'high', warned: 'medium', mutated: 'medium' };

export const POLICY_REPORT_APIS = ['wgpolicyk8s', 'openreports'] as const;
export type PolicyReportApi = (typeof POLICY_REPORT_APIS)[number];

const KINDS: Record<PolicyReportApi, { apiVersion: string; namespaced: string; cluster: string }> = {
  wgpolicyk8s: { apiVersion: 'wgpolicyk8s.io/v1alpha2', namespaced: 'PolicyReport', cluster: 'ClusterPolicyReport' },
  openreports: { apiVersion: 'openreports.io/v1alpha1', namespaced: 'Report', cluster: 'ClusterReport' },
};

export interface PolicyReportOptions {
  /** When the audit ran (passed in so that tests are deterministic). */
  now: Date;
  /** Which report API to write (default wgpolicyk8s). */
  api?: PolicyReportApi;
}

export function toPolicyReports(report: AuditReport, options: PolicyReportOptions): Array<Record<string, unknown>> {
  const byNamespace = new Map<string, AuditFinding[]>();
  const clusterScoped: AuditFinding[] = [];
  for (const f of sortFindings(report.findings)) {
    if (!f.namespace) {
      clusterScoped.push(f);
      continue;
    }
    let list = byNamespace.get(f.namespace);
    if (!list) byNamespace.set(f.namespace, (list = []));
    list.push(f);
  }
  const timestamp = { seconds: Math.floor(options.now.getTime() / 1000), nanos: 0 };
  const api = options.api ?? 'wgpolicyk8s';
  const out: Array<Record<string, unknown>> = [];
  for (const [namespace, findings] of [...byNamespace].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(reportObject(api, KINDS[api].namespaced, findings, timestamp, namespace));
  }
  if (clusterScoped.length > 0) out.push(reportObject(api, KINDS[api].cluster, clusterScoped, timestamp));
  return out;
}

function reportObject(api: PolicyReportApi, kind: string, findings: AuditFinding[], timestamp: { seconds: number; nanos: number }, namespace?: string): Record<string, unknown> {
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  const results = findings.map((f) => {
    const result = RESULT[f.action];
    summary[result]++;
    const properties: Record<string, string> = { action: f.action };
    if (f.fix) properties.fix = f.fix;
    if (f.clusterId) properties.clusterId = f.clusterId;
    if (f.file) properties.file = whereOf({ file: f.file, line: f.line, item: f.item });
    return {
      source: REPORT_SOURCE,
      policy: POLICY_NAME,
      rule: f.rule,
      result,
      ...(SEVERITY[f.action] ? { severity: SEVERITY[f.action] } : {}),
      scored: true,
      timestamp,
      message: f.message,
      resources: [
        {
          ...(f.apiVersion ? { apiVersion: f.apiVersion } : {}),
          kind: f.kind,
          name: f.name,
          ...(f.namespace ? { namespace: f.namespace } : {}),
        },
      ],
      properties,
    };
  });
  return {
    apiVersion: KINDS[api].apiVersion,
    kind,
    metadata: {
      name: REPORT_NAME,
      ...(namespace ? { namespace } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'flink-ha-webhook' },
    },
    // openreports.io names the producer once per report (each result keeps its own source too, as both APIs allow).
    ...(api === 'openreports' ? { source: REPORT_SOURCE } : {}),
    summary,
    results,
  };
}

export function renderPolicyReports(report: AuditReport, options: PolicyReportOptions): string {
  return toPolicyReports(report, options)
    .map((doc) => `---\n${yaml.dump(doc, { noRefs: true, lineWidth: -1 })}`)
    .join('');
}
