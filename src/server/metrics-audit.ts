// The background audit's metrics (src/server/background-audit.ts), on the webhook's registry: the findings it holds
// now, by rule, action and namespace; when it last succeeded, how long it took, what it cost. Only the leader
// replica audits, so only its findings gauge has series (a replica that loses the Lease clears them).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditFinding } from '../audit/types.ts';

/** Findings about no namespace (webhook coverage, RBAC, cluster-wide permissions). */
export const CLUSTER_NAMESPACE = '_cluster';
/** Every namespace past the `metricsMaxNamespaces` with the most findings. Underscores are in no namespace name. */
export const OTHER_NAMESPACES = '_other';

export interface AuditRun {
  counts: readonly FindingCount[];
  /** Wall time of the read and the judging. */
  seconds: number;
  /** CPU of the read and judgement (user + system). */
  cpuSeconds: number;
  /** API requests of the read (LIST pages, GETs, SubjectAccessReviews) and of the Report writes. */
  requests: { read: number; reports: number };
  /** Unix seconds when it finished. */
  at: number;
}

export interface AuditMetrics {
  /** The schedule, exported so an alert can say "not run for 3 intervals" without repeating the config. */
  interval(seconds: number): void;
  leader(isLeader: boolean): void;
  succeeded(run: AuditRun): void;
  failed(stage: 'read' | 'reports'): void;
  reportWrites(op: 'created' | 'updated' | 'deleted' | 'unchanged' | 'failed', n: number): void;
  /** Drops the findings series (this replica no longer audits). */
  clear(): void;
}

export interface FindingCount {
  rule: string;
  action: string;
  namespace: string;
  count: number;
}
export type FindingCounts = Map<string, FindingCount>;

/**
 * Counts by rule, action and namespace, with at most `maxNamespaces` namespaces named (the most findings first, ties
 * by name) and the rest summed under `_other`: series <= rules x actions x (maxNamespaces + 2), whatever the cluster.
 * Passes are not counted (they are what a cluster without problems has; the gauge is of what needs attention).
 */
export function findingCounts(findings: readonly AuditFinding[], maxNamespaces: number): FindingCounts {
  const perNamespace = new Map<string, number>();
  for (const f of findings) {
    if (f.action === 'passed' || !f.namespace) continue;
    perNamespace.set(f.namespace, (perNamespace.get(f.namespace) ?? 0) + 1);
  }
  const named = new Set([...perNamespace].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)).slice(0, maxNamespaces).map(([ns]) => ns));
  const out: FindingCounts = new Map();
  for (const f of findings) {
    if (f.action === 'passed') continue;
    const namespace = !f.namespace ? CLUSTER_NAMESPACE : named.has(f.namespace) ? f.namespace : OTHER_NAMESPACES;
    const key = `${f.rule}\u0000${f.action}\u0000${namespace}`;
    const entry = out.get(key);
    if (entry) entry.count++;
    else out.set(key, { rule: f.rule, action: f.action, namespace, count: 1 });
  }
  return out;
}

export function createAuditMetrics(registry: Registry): AuditMetrics {
  const findings = new Gauge({
    name: 'flink_ha_webhook_audit_findings',
    help: 'Findings of the last background audit that need attention (all but passed), by rule, action and namespace (_cluster: cluster-wide; _other: namespaces past backgroundAudit.metricsMaxNamespaces).',
    labelNames: ['rule', 'action', 'namespace'],
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'flink_ha_webhook_audit_last_success_timestamp_seconds',
    help: 'When the background audit last finished reading and judging the cluster (Unix time); set at leadership as a baseline.',
    registers: [registry],
  });
  const duration = new Gauge({ name: 'flink_ha_webhook_audit_duration_seconds', help: 'Wall time of the last successful background audit.', registers: [registry] });
  const cpu = new Gauge({ name: 'flink_ha_webhook_audit_cpu_seconds', help: 'CPU time of the process over the last successful background audit.', registers: [registry] });
  const requests = new Gauge({
    name: 'flink_ha_webhook_audit_api_requests',
    help: 'API requests of the last successful background audit: stage=read (LIST pages, GETs, SubjectAccessReviews) or reports (Report LISTs and writes).',
    labelNames: ['stage'],
    registers: [registry],
  });
  const interval = new Gauge({ name: 'flink_ha_webhook_audit_interval_seconds', help: 'backgroundAudit.intervalSeconds (0: the background audit is off).', registers: [registry] });
  const leader = new Gauge({ name: 'flink_ha_webhook_audit_leader', help: '1 on the replica that holds the leader Lease and runs the background audit.', registers: [registry] });
  const runs = new Counter({ name: 'flink_ha_webhook_audit_runs_total', help: 'Background audits, by result (success, or the stage that failed).', labelNames: ['result'], registers: [registry] });
  const writes = new Counter({
    name: 'flink_ha_webhook_report_writes_total',
    help: 'What the background audit did to each of its Reports: created, updated (content changed), deleted (nothing left to report), unchanged (no write), failed.',
    labelNames: ['op'],
    registers: [registry],
  });
  for (const r of ['success', 'read', 'reports']) runs.labels(r).inc(0);
  for (const op of ['created', 'updated', 'deleted', 'unchanged', 'failed']) writes.labels(op).inc(0);
  interval.set(0);
  leader.set(0);

  return {
    interval: (seconds) => interval.set(seconds),
    leader(isLeader) {
      leader.set(isLeader ? 1 : 0);
      // A new leader has not audited yet: "now" is the baseline the not-run alert measures from.
      if (isLeader) lastSuccess.set(Date.now() / 1000);
    },
    succeeded(run) {
      findings.reset();
      for (const c of run.counts) findings.labels(c.rule, c.action, c.namespace).set(c.count);
      lastSuccess.set(run.at);
      duration.set(run.seconds);
      cpu.set(run.cpuSeconds);
      requests.labels('read').set(run.requests.read);
      requests.labels('reports').set(run.requests.reports);
      runs.labels('success').inc();
    },
    failed: (stage) => runs.labels(stage).inc(),
    reportWrites: (op, n) => writes.labels(op).inc(n),
    clear: () => findings.reset(),
  };
}
