// A steady stream of admissions through the API server while a test disturbs the webhook (a Pod deleted, a
// rollout, a certificate rotation). Each request is a server-side dry-run create that the ConfigMap guard
// (failurePolicy Fail) must answer: if no replica answers, the API server fails the request, so every failure
// the webhook causes is seen by the client, not hidden by an Ignore policy.
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.ts';

export interface LoadResult {
  /** Requests the webhook answered (allowed, or denied with its own reason). */
  answered: number;
  /** Requests that failed for any other reason, with their messages (first 20). */
  failed: number;
  failures: string[];
}

export interface AdmissionLoad {
  /** Resolves once at least `n` more requests have finished since the call (answered or failed: a test that waits
   * never hangs on a webhook that fails everything; it sees the failures in stop()'s result). */
  answered(n: number): Promise<void>;
  stop(): Promise<LoadResult>;
}

/** Answers the webhook gives that are decisions, not failures to reach it. */
const DECIDED = /admission webhook "[^"]+" denied the request/;

export function startAdmissionLoad(plane: ControlPlane, namespace: string, body: (n: number) => V1ConfigMap, workers = 2): AdmissionLoad {
  const api = plane.kubeConfig.makeApiClient(CoreV1Api);
  const result: LoadResult = { answered: 0, failed: 0, failures: [] };
  let running = true;
  let n = 0;
  const waiters: Array<{ target: number; resolve: () => void }> = [];
  const settle = () => {
    for (const w of [...waiters]) {
      if (result.answered + result.failed >= w.target) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const worker = async () => {
    while (running) {
      n += 1;
      try {
        await api.createNamespacedConfigMap({ namespace, body: body(n), dryRun: 'All' });
        result.answered += 1;
      } catch (err) {
        const message = errorMessage(err);
        if (DECIDED.test(message)) {
          result.answered += 1;
        } else {
          result.failed += 1;
          if (result.failures.length < 20) result.failures.push(message);
        }
      }
      settle();
    }
  };
  const workersDone = Promise.all(Array.from({ length: workers }, worker));
  return {
    answered: (count) =>
      new Promise((resolve) => {
        waiters.push({ target: result.answered + result.failed + count, resolve });
        settle();
      }),
    stop: async () => {
      running = false;
      await workersDone;
      return result;
    },
  };
}

function errorMessage(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  // client-node hands the Status as a JSON string (quotes escaped): its message is what the API server said.
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // not JSON: keep the text
    }
  }
  const status = body as { message?: unknown } | undefined;
  const text = typeof status?.message === 'string' ? status.message : typeof body === 'string' ? body : JSON.stringify(body ?? '');
  return `${e.code ?? '?'} ${text || (e.message ?? String(err))}`.slice(0, 500);
}
