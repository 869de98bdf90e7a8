// The default output, for people: findings grouped by namespace and Flink cluster, worst first, each with its fix.
// Passed checks are only counted (a table of everything that is fine hides what is not).
import { whereOf } from '../sources/origin.ts';
import type { AuditFinding, AuditReport } from '../audit/types.ts';
import { sortFindings, summarize } from '../audit/summary.ts';

const LABEL: Record<AuditFinding['action'], string> = {
  denied: 'WOULD DENY',
  error: 'ERROR',
  warned: 'WARN',
  mutated: 'WOULD MUTATE',
  unchecked: 'UNCHECKED',
  exempt: 'EXEMPT',
  passed: 'PASS',
};

export function renderTable(report: AuditReport): string {
  const lines: string[] = [];
  // Passes are counted, not listed; except that the webhook is installed, and with which failure policies.
  const shown = sortFindings(report.findings.filter((f) => f.action !== 'passed' || f.rule === 'webhook-coverage'));
  // Group by namespace + cluster, groups ordered by their worst finding (the sort puts it first).
  const groups = new Map<string, AuditFinding[]>();
  for (const f of shown) {
    const key = `${f.namespace ?? '(cluster-wide)'}\u0000${f.clusterId ?? ''}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(f);
  }
  const labelWidth = Math.max(...Object.values(LABEL).map((l) => l.length));
  for (const [key, group] of groups) {
    const [namespace, clusterId] = key.split('\u0000');
    lines.push(`${namespace === '(cluster-wide)' ? 'cluster-wide' : `namespace ${namespace}`}${clusterId ? `, Flink cluster ${clusterId}` : ''}`);
    for (const f of group) {
      const where = f.file ? `  (${whereOf({ file: f.file, line: f.line, item: f.item })})` : '';
      lines.push(`  ${LABEL[f.action].padEnd(labelWidth)}  ${f.rule.padEnd(24)}  ${f.kind}/${f.name}${where}`);
      lines.push(`  ${' '.repeat(labelWidth)}  ${f.message}`);
      if (f.fix) lines.push(`  ${' '.repeat(labelWidth)}  fix: ${f.fix}`);
    }
    lines.push('');
  }
  for (const e of report.errors) lines.push(`input error: ${e.where}: ${e.message}`);
  if (report.errors.length > 0) lines.push('');
  const s = summarize(report);
  const counts = (['denied', 'error', 'warned', 'mutated', 'unchecked', 'exempt', 'passed'] as const)
    .filter((a) => (s.byAction[a] ?? 0) > 0)
    .map((a) => `${s.byAction[a]} ${LABEL[a].toLowerCase()}`);
  lines.push(`${s.objects} objects audited: ${counts.length > 0 ? counts.join(', ') : 'no findings'}${s.errors > 0 ? `; ${s.errors} input errors` : ''}`);
  return `${lines.map(printable).join('\n')}\n`;
}

/** Messages quote object data; an escape sequence in a label value must not reach the terminal as one. */
function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}
