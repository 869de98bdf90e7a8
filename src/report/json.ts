// `-o json` and `-o yaml`: the issue's fixed shape, `{findings: [{rule, action, message, fix, kind, namespace, name,
// file, line}], summary}`, every key always present (null when it does not apply) so consumers need no guards.
import yaml from 'js-yaml';
import type { AuditReport } from '../audit/types.ts';
import { sortFindings, summarize, type AuditSummary } from '../audit/summary.ts';

export interface JsonFinding {
  rule: string;
  action: string;
  message: string;
  fix: string | null;
  kind: string;
  namespace: string | null;
  name: string;
  file: string | null;
  line: number | null;
  clusterId: string | null;
}

export interface JsonReport {
  findings: JsonFinding[];
  summary: AuditSummary;
  errors: Array<{ where: string; message: string }>;
}

export function toJsonReport(report: AuditReport): JsonReport {
  return {
    findings: sortFindings(report.findings).map((f) => ({
      rule: f.rule,
      action: f.action,
      message: f.message,
      fix: f.fix ?? null,
      kind: f.kind,
      namespace: f.namespace ?? null,
      name: f.name,
      file: f.file ?? null,
      line: f.line ?? null,
      clusterId: f.clusterId ?? null,
    })),
    summary: summarize(report),
    errors: report.errors,
  };
}

export function renderJson(report: AuditReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}

export function renderYaml(report: AuditReport): string {
  return yaml.dump(toJsonReport(report), { noRefs: true, lineWidth: -1 });
}
