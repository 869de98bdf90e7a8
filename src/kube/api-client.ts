// The API-server client every read of the cluster goes through: the kubeconfig, per-request timeouts, and the one
// mapper from client-node's errors to what a caller can act on (a missing right, an API not served, or a cluster
// that cannot be asked: ClusterError). Loaded only by the paths that talk to a cluster.
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from './cluster-error.ts';

export { ClusterError };

/** The kubeconfig (a file, else the default chain) and context; a ClusterError of kind `config` when unusable. */
export function loadKubeConfig(options: { kubeconfig?: string; context?: string }): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig !== undefined) {
      readFileSync(options.kubeconfig); // a clear "cannot read" before client-node's own message
      kc.loadFromFile(options.kubeconfig);
    } else {
      kc.loadFromDefault();
    }
  } catch (err) {
    throw new ClusterError('config', `cannot load kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''}: ${firstLine(err)}`);
  }
  if (options.context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === options.context)) {
      throw new ClusterError('config', `context '${options.context}' is not in the kubeconfig (it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(options.context);
  }
  if (kc.getCurrentCluster() === null) throw new ClusterError('config', 'the kubeconfig names no cluster for the current context');
  return kc;
}

/** `p`, or a ClusterError of kind `timeout` naming the server and the request after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, server: string, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ClusterError('timeout', `${server} did not answer ${what} within ${ms / 1000}s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export type Outcome = 'forbidden' | 'not-found' | ClusterError;

/** Sorts an error from client-node into: refused (a missing permission), not served, or the cluster failing. */
export function apiOutcome(err: unknown, server: string, what: string): Outcome {
  if (err instanceof ClusterError) return err;
  const e = err as { code?: unknown; message?: string; type?: string; cause?: { code?: string } };
  if (typeof e.code === 'number') {
    if (e.code === 403) return 'forbidden';
    if (e.code === 404) return 'not-found';
    if (e.code === 401) return new ClusterError('unauthorized', `${server} rejected the kubeconfig's credentials (401 Unauthorized) on ${what}`);
    return new ClusterError('unreachable', `${server} answered ${what} with HTTP ${e.code}: ${statusMessage(err)}`);
  }
  const message = e.message ?? String(err);
  if (/Unrecognized API version and kind|Failed to fetch resource metadata.*404/s.test(message)) return 'not-found';
  const code = typeof e.code === 'string' ? e.code : e.cause?.code;
  return new ClusterError('unreachable', `cannot reach ${server} (${what}): ${code ?? firstLine(err)}`);
}

/** An outcome the caller did not expect (a 404 where there must be a resource) is the cluster failing too. */
export function asClusterError(outcome: Outcome, server: string, what: string): ClusterError {
  return outcome instanceof ClusterError ? outcome : new ClusterError('unreachable', `${server} answered ${what} with ${outcome === 'forbidden' ? '403 Forbidden' : '404 Not Found'}`);
}

function statusMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 200);
    } catch {
      return body.slice(0, 200);
    }
  }
  return (body as { message?: string } | undefined)?.message ?? firstLine(err);
}

export function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0] ?? '';
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
