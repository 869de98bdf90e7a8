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
  /** For an item of a List document: its index. */
  item: number | null;
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
      item: f.item ?? null,
      clusterId: f.clusterId ?? null,
    })),
    summary: summarize(report),
    errors: report.errors,
  };
}

/**
 * One compact finding per line (as dry-run's -o json writes one object per line): as readable to jq, grep and diff
 * tools as indented JSON, at half the bytes and time on a large audit.
 */
export function renderJson(report: AuditReport): string {
  const { findings, summary, errors } = toJsonReport(report);
  const lines = findings.map((f) => JSON.stringify(f));
  return `{"findings": [${lines.length > 0 ? `\n${lines.join(',\n')}\n` : ''}],\n"summary": ${JSON.stringify(summary)},\n"errors": ${JSON.stringify(errors)}}\n`;
}

export function renderYaml(report: AuditReport): string {
  return yaml.dump(toJsonReport(report), { noRefs: true, lineWidth: -1 });
}
