// The background audit's thread. Judging a whole cluster is seconds of synchronous work on a big one; on the main
// thread it would hold every admission review for that long. Here it shares nothing but a message per run: the
// main thread asks `run`, this thread reads, judges and builds the Reports, and answers with the outcome.
import { parentPort, workerData } from 'node:worker_threads';
import type { WebhookConfig } from '../config/types.ts';
import { inProcessAudit } from './background-audit.ts';

export interface AuditWorkerData {
  kubeconfig?: string;
  config: WebhookConfig;
}

const data = workerData as AuditWorkerData;
const audit = inProcessAudit(data.kubeconfig, data.config);
parentPort?.on('message', (message: unknown) => {
  if (message !== 'run') return;
  audit().then(
    (outcome) => parentPort?.postMessage({ ok: true, outcome }),
    (err: unknown) => parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
