// `-o policyreport`: wgpolicyk8s.io/v1alpha2 PolicyReport objects, one per namespace, and one ClusterPolicyReport
// for cluster-scoped findings: the format Kyverno, Kubewarden and Policy Reporter read. Output is multi-document
// YAML that `kubectl apply -f -` accepts.
import yaml from 'js-yaml';
import { whereOf } from '../sources/origin.ts';
import type { AuditAction, AuditFinding, AuditReport } from '../audit/types.ts';
import { sortFindings } from '../audit/summary.ts';

export const POLICY_NAME = 'flink-ha';
export const REPORT_SOURCE = 'flink-ha-webhook';
export const REPORT_NAME = 'flink-ha-webhook';

type PolicyResult = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

const RESULT: Record<AuditAction, PolicyResult> = {
  denied: 'fail',
  error: 'error',
  warned: 'warn',
  mutated: 'warn',
  unchecked: 'skip',
  exempt: 'skip',
  passed: 'pass',
};

const SEVERITY: Partial<Record<AuditAction, string>> = { denied: 'high', error: 'high', warned: 'medium', mutated: 'medium' };

export interface PolicyReportOptions {
  /** When the audit ran (passed in so that tests are deterministic). */
  now: Date;
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
  const out: Array<Record<string, unknown>> = [];
  for (const [namespace, findings] of [...byNamespace].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(reportObject('PolicyReport', findings, timestamp, namespace));
  }
  if (clusterScoped.length > 0) out.push(reportObject('ClusterPolicyReport', clusterScoped, timestamp));
  return out;
}

function reportObject(kind: string, findings: AuditFinding[], timestamp: { seconds: number; nanos: number }, namespace?: string): Record<string, unknown> {
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
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind,
    metadata: {
      name: REPORT_NAME,
      ...(namespace ? { namespace } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'flink-ha-webhook' },
    },
    summary,
    results,
  };
}

export function renderPolicyReports(report: AuditReport, options: PolicyReportOptions): string {
  return toPolicyReports(report, options)
    .map((doc) => `---\n${yaml.dump(doc, { noRefs: true, lineWidth: -1 })}`)
    .join('');
}
