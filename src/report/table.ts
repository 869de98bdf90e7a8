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
  let causes = 0;
  for (const [key, group] of groups) {
    const [namespace, clusterId] = key.split('\u0000');
    lines.push(`${namespace === '(cluster-wide)' ? 'cluster-wide' : `namespace ${namespace}`}${clusterId ? `, Flink cluster ${clusterId}` : ''}`);
    for (const c of byCause(group)) {
      causes++;
      lines.push(`  ${LABEL[c.action].padEnd(labelWidth)}  ${c.rule.padEnd(24)}  ${c.objects.join(', ')}`);
      lines.push(`  ${' '.repeat(labelWidth)}  ${c.message}`);
      for (const fix of c.fixes) lines.push(`  ${' '.repeat(labelWidth)}  fix: ${fix}`);
    }
    lines.push('');
  }
  for (const e of report.errors) lines.push(`input error: ${e.where}: ${e.message}`);
  if (report.errors.length > 0) lines.push('');
  const s = summarize(report);
  const counts = (['denied', 'error', 'warned', 'mutated', 'unchecked', 'exempt', 'passed'] as const)
    .filter((a) => (s.byAction[a] ?? 0) > 0)
    .map((a) => `${s.byAction[a]} ${LABEL[a].toLowerCase()}`);
  const denied = objectsWorst(report.findings, ['denied', 'error']);
  const objects = `${s.objects} objects audited${denied > 0 ? ` (${denied} would be denied)` : ''}`;
  const findings = counts.length > 0 ? `; ${s.findings} findings, shown as ${causes} lines (one per cause; passes only counted): ${counts.join(', ')}` : ': no findings';
  lines.push(`${objects}${findings}${s.errors > 0 ? `; ${s.errors} input errors` : ''}`);
  return `${lines.map(printable).join('\n')}\n`;
}

interface Cause {
  action: AuditFinding['action'];
  rule: string;
  message: string;
  objects: string[];
  fixes: string[];
}

/**
 * One line per cause, not per object sharing it: findings of a group with the same action, rule and message are
 * one entry naming every object (a missing storageDir denies the ConfigMap, the JobManager and the TaskManagers
 * alike). Exempt findings are one entry per exemption: what was not enforced, on which objects, and why.
 */
function byCause(group: AuditFinding[]): Cause[] {
  const causes = new Map<string, Cause>();
  for (const f of group) {
    const exempt = f.action === 'exempt' ? /\(exempt: (.*)\)$/.exec(f.message)?.[1] : undefined;
    const key = exempt !== undefined ? `exempt\u0000${exempt}` : `${f.action}\u0000${f.rule}\u0000${f.message}`;
    let c = causes.get(key);
    if (!c) causes.set(key, (c = { action: f.action, rule: exempt !== undefined ? 'exempt' : f.rule, message: exempt !== undefined ? `exempt, ${exempt}` : f.message, objects: [], fixes: [] }));
    const where = f.file ? `  (${whereOf({ file: f.file, line: f.line, item: f.item })})` : '';
    const object = `${f.kind}/${f.name}${where}`;
    if (!c.objects.includes(object)) c.objects.push(object);
    if (exempt !== undefined && !c.fixes.includes(f.rule)) c.fixes.push(f.rule);
    else if (exempt === undefined && f.fix && !c.fixes.includes(f.fix)) c.fixes.push(f.fix);
  }
  return [...causes.values()].map((c) => (c.rule === 'exempt'
    ? { ...c, message: `not enforced (${c.fixes.join(', ')}): ${c.message}`, fixes: [] }
    : c));
}

/** How many objects have their worst finding among `actions`. */
function objectsWorst(findings: AuditFinding[], actions: Array<AuditFinding['action']>): number {
  const hit = new Set<string>();
  for (const f of findings) if (actions.includes(f.action)) hit.add(`${f.kind}/${f.namespace ?? ''}/${f.name}`);
  return hit.size;
}

/** Messages quote object data; an escape sequence in a label value must not reach the terminal as one. */
function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}
