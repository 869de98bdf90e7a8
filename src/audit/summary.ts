// Counts for the JSON/YAML `summary`, and the --fail-on decision CI reads through the exit code.
import { ACTION_SEVERITY, type AuditAction, type AuditFinding, type AuditReport } from './types.ts';

export interface AuditSummary {
  objects: number;
  findings: number;
  byAction: Partial<Record<AuditAction, number>>;
  byRule: Record<string, Partial<Record<AuditAction, number>>>;
  errors: number;
}

export function summarize(report: AuditReport): AuditSummary {
  const byAction: Partial<Record<AuditAction, number>> = {};
  const byRule: Record<string, Partial<Record<AuditAction, number>>> = {};
  for (const f of report.findings) {
    byAction[f.action] = (byAction[f.action] ?? 0) + 1;
    const rule = (byRule[f.rule] ??= {});
    rule[f.action] = (rule[f.action] ?? 0) + 1;
  }
  return { objects: report.objects, findings: report.findings.length, byAction, byRule, errors: report.errors.length };
}

export type FailOn = 'deny' | 'warn' | 'never';

/**
 * deny: something would be denied (or a check errored: an audit that could not judge is not a pass);
 * warn: also warnings and would-be mutations (the object is not compliant as written).
 */
export function failsThreshold(findings: AuditFinding[], failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  const floor = failOn === 'deny' ? ACTION_SEVERITY.error : ACTION_SEVERITY.mutated;
  return findings.some((f) => ACTION_SEVERITY[f.action] >= floor);
}

/** Worst first, then grouped by namespace, Flink cluster and object, then rule. */
export function sortFindings(findings: AuditFinding[]): AuditFinding[] {
  return [...findings].sort(
    (a, b) =>
      ACTION_SEVERITY[b.action] - ACTION_SEVERITY[a.action] ||
      compare(a.namespace ?? '', b.namespace ?? '') ||
      compare(a.clusterId ?? '', b.clusterId ?? '') ||
      compare(a.kind, b.kind) ||
      compare(a.name, b.name) ||
      compare(a.rule, b.rule),
  );
}

/** Code-point order: Kubernetes names are ASCII, and localeCompare costs a locale lookup per call (~10x). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
