// The audit `serve` runs itself: on the leader replica only, every backgroundAudit.intervalSeconds and at most
// debounceSeconds after an allowed admission review (the reviews are the changes this webhook sees anyway: no watch
// of its own, no extra API traffic). Each run is `audit --cluster -A` (readCluster + auditCluster, the CLI's own
// entry points) in a worker thread (audit-worker.ts); its findings go to the metrics and, with backgroundAudit.reports, to openreports.io Reports.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { WebhookConfig } from '../config/types.ts';
import { buildReports, type BuiltReports } from '../reports/build.ts';
import { apiReportStore, ReportsNotInstalled, syncReports, type ReportStore, type SyncResult } from '../reports/writer.ts';
import { findingCounts, type FindingCount } from './metrics-audit.ts';
import type { LeaderElection } from './leader-election.ts';
import type { Metrics } from './metrics.ts';

/** One read and judgement of the whole cluster, reduced to what the metrics and the Reports need. */
export interface AuditOutcome {
  findings: number;
  counts: FindingCount[];
  reports: BuiltReports;
  /** API requests of the read. */
  requests: number;
  /** CPU of the read and judgement (the worker's process-wide figure; see audit-worker.ts). */
  cpuSeconds: number;
}
export type ClusterAudit = () => Promise<AuditOutcome>;

export interface BackgroundAuditOptions {
  config: WebhookConfig;
  logger: Logger;
  metrics: Metrics;
  election: LeaderElection;
  audit: ClusterAudit;
  /** Where Reports go; absent: reports are not kept (backgroundAudit.reports false). */
  store?: ReportStore;
  /** Counts the store's requests (apiReportStore's onRequest), read after each run. */
  storeRequests?: () => number;
  /** Delay of the first run after taking the Lease (default 2 s: let the replica settle first). */
  firstRunDelayMs?: number;
}

export interface BackgroundAudit {
  /** Something relevant changed (an allowed review): audit soon. Cheap: a flag and at most one timer. */
  poke(): void;
  stop(): void;
  /** Resolves when the run in progress (if any) is done (tests). */
  idle(): Promise<void>;
  /** Runs started so far (tests). */
  runs(): number;
}

export function startBackgroundAudit(options: BackgroundAuditOptions): BackgroundAudit {
  const { config, metrics, election } = options;
  const settings = config.backgroundAudit;
  const log = options.logger.child({ component: 'background-audit' });
  let stopped = false;
  let running: Promise<void> | undefined;
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let started = 0;
  let warnedNotInstalled = false;
  metrics.audit.interval(settings.intervalSeconds);

  let due = 0;
  /** Runs in `ms`, unless a run is already due sooner (a poke brings the next scheduled run forward, never back). */
  const arm = (ms: number) => {
    if (stopped || !election.isLeader()) return;
    if (timer && due <= Date.now() + ms) return;
    if (timer) clearTimeout(timer);
    due = Date.now() + ms;
    timer = setTimeout(() => {
      timer = undefined;
      void runOnce();
    }, ms);
    timer.unref();
  };

  const runOnce = async (): Promise<void> => {
    if (stopped || !election.isLeader()) return;
    if (running) {
      dirty = true;
      return;
    }
    started++;
    dirty = false;
    running = cycle().finally(() => {
      running = undefined;
      // Changes seen during the run: one more, debounced; else the next scheduled one.
      if (dirty) arm(settings.debounceSeconds * 1000);
      else arm(settings.intervalSeconds * 1000);
    });
    return running;
  };

  const cycle = async () => {
    const t0 = performance.now();
    let outcome: AuditOutcome;
    try {
      outcome = await options.audit();
    } catch (err) {
      metrics.audit.failed('read');
      log.warn({ err: firstLine(err) }, 'background audit: could not read the cluster; trying again at the next interval');
      return;
    }
    const storeBefore = options.storeRequests?.() ?? 0;
    let sync: SyncResult | undefined;
    if (options.store && election.isLeader()) {
      try {
        sync = await syncReports(outcome.reports, options.store);
        for (const op of ['created', 'updated', 'deleted', 'unchanged'] as const) metrics.audit.reportWrites(op, sync[op]);
        metrics.audit.reportWrites('failed', sync.failed.length);
        if (sync.failed.length > 0) log.warn({ failed: sync.failed.slice(0, 5), count: sync.failed.length }, 'background audit: some Reports could not be written; trying again next run');
      } catch (err) {
        metrics.audit.failed('reports');
        if (err instanceof ReportsNotInstalled) {
          if (!warnedNotInstalled) log.warn({ err: err.message }, 'background audit: Reports are not kept');
          warnedNotInstalled = true;
        } else {
          log.warn({ err: firstLine(err) }, 'background audit: could not write the Reports; trying again next run');
        }
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    // Lost the Lease meanwhile: the new leader's gauges are the ones that count.
    if (!election.isLeader()) return;
    metrics.audit.succeeded({
      counts: outcome.counts,
      seconds,
      cpuSeconds: outcome.cpuSeconds,
      requests: { read: outcome.requests, reports: (options.storeRequests?.() ?? 0) - storeBefore },
      at: Date.now() / 1000,
    });
    log.info({ findings: outcome.findings, ms: Math.round(seconds * 1000), requests: outcome.requests, ...(sync ? { reports: { created: sync.created, updated: sync.updated, deleted: sync.deleted, unchanged: sync.unchanged } } : {}) }, 'background audit done');
  };

  election.onChange((leader) => {
    metrics.audit.leader(leader);
    if (leader) {
      arm(options.firstRunDelayMs ?? 2000);
      return;
    }
    if (timer) clearTimeout(timer);
    timer = undefined;
    metrics.audit.clear();
  });
  if (election.isLeader()) {
    metrics.audit.leader(true);
    arm(options.firstRunDelayMs ?? 2000);
  }

  return {
    poke() {
      if (stopped || !election.isLeader()) return;
      if (running) {
        dirty = true;
        return;
      }
      arm(settings.debounceSeconds * 1000);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    idle: async () => {
      while (running) await running;
    },
    runs: () => started,
  };
}

function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0] ?? '';
}

/** The real audit over the API server: the same read and judgement as `audit --cluster -A`, in this thread. */
export function inProcessAudit(kubeconfig: string | undefined, config: WebhookConfig): ClusterAudit {
  return async () => {
    const cpu0 = process.cpuUsage();
    // Loaded when the first audit runs, like the CLI does: an offline webhook never pays for them.
    const [{ readCluster }, { auditCluster }] = await Promise.all([import('../sources/cluster.ts'), import('../audit/run.ts')]);
    const read = await readCluster({
      ...(kubeconfig ? { kubeconfig } : {}),
      allNamespaces: true,
      pageSize: 500,
      timeoutMs: 30_000,
      rightsCheck: config.backgroundAudit.rightsCheck,
      config,
    });
    const { findings } = await auditCluster(read, config);
    const settings = config.backgroundAudit;
    const reports = buildReports(findings, { maxResults: settings.maxResultsPerReport });
    const counts = [...findingCounts(findings, settings.metricsMaxNamespaces).values()];
    const cpu = process.cpuUsage(cpu0);
    return { findings: findings.length, counts, reports, requests: read.requests, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  };
}

/** The Report store with its request count. */
export function reportStoreOf(kc: KubeConfig): { store: ReportStore; requests: () => number } {
  let n = 0;
  const store = apiReportStore(kc, () => n++);
  return { store, requests: () => n };
}

/**
 * The audit in a worker thread (src/server/audit-worker.ts), started on the first run and kept for the next ones
 * (client-node loads once). The worker's file is this one's sibling with the same extension: .ts under tsx, .js in dist/.
 */
export function workerAudit(kubeconfig: string | undefined, config: WebhookConfig): ClusterAudit & { close(): Promise<void> } {
  let worker: Worker | undefined;
  const ext = extname(fileURLToPath(import.meta.url));
  const run = (): Promise<AuditOutcome> => {
    worker ??= startWorker(new URL(`./audit-worker${ext}`, import.meta.url), { kubeconfig, config });
    const w = worker;
    w.unref();
    return new Promise((resolve, reject) => {
      const done = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      const onMessage = (m: { ok: boolean; outcome?: AuditOutcome; error?: string }) => {
        done();
        if (m.ok) resolve(m.outcome!);
        else reject(new Error(m.error));
      };
      // A crashed or exited worker is replaced on the next run; the run in progress fails (never hangs).
      const onError = (err: Error) => {
        done();
        worker = undefined;
        reject(err);
      };
      const onExit = (code: number) => onError(new Error(`the audit thread exited (code ${code})`));
      w.once('message', onMessage);
      w.once('error', onError);
      w.once('exit', onExit);
      w.postMessage('run');
    });
  };
  return Object.assign(run, { close: async () => void (await worker?.terminate()) });
}

/** dist/: the compiled worker. Under tsx (tests, runs from sources) the thread registers tsx's loader first: loader
 * hooks are per thread, and a worker does not take `--import tsx` from execArgv. */
function startWorker(file: URL, workerData: unknown): Worker {
  if (!file.pathname.endsWith('.ts')) return new Worker(file, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}
