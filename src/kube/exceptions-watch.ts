// `serve`'s view of the FlinkHAExceptions: one informer (list, then watch) over every namespace, so a review reads
// them from memory. The policy picks the ones that count (config.exceptionNamespaces) and judges their expiry by the
// clock read here. Self-contained, so that it can join a shared informer module later.
import { CustomObjectsApi, makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeObject } from './objects.ts';
import type { ExceptionsView } from '../policy/types.ts';
import { EXCEPTION_API_VERSION, EXCEPTION_KIND } from '../policy/exceptions.ts';

const GROUP = 'flink-ha.io';
const VERSION = 'v1alpha1';
const PLURAL = 'flinkhaexceptions';

export interface ExceptionsWatch {
  /** What the policy reads: the exceptions and the time; undefined until the first list is in (none applies then). */
  current(): ExceptionsView | undefined;
  /** Resolves true once the first list is in (or the CRD is known to be absent), false after timeoutMs. */
  synced(timeoutMs: number): Promise<boolean>;
  stop(): void;
}

export function watchExceptions(kc: KubeConfig, logger: Logger, now: () => number = Date.now, retryMs = 2000): ExceptionsWatch {
  const customs = kc.makeApiClient(CustomObjectsApi);
  const log = logger.child({ component: 'exceptions-watch' });
  let objects: readonly KubeObject[] | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let failed = false;
  let failures = 0;
  const waiters = new Set<() => void>();

  const list = () => customs.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }) as Promise<KubernetesListObject<KubernetesObject>>;
  const informer = makeInformer<KubernetesObject>(kc, `/apis/${GROUP}/${VERSION}/${PLURAL}`, list);
  // One array per change, not per review: the policy caches what it read of each object by identity.
  const refresh = () => {
    objects = informer.list().map((o) => ({ ...(o as KubeObject), apiVersion: o.apiVersion ?? EXCEPTION_API_VERSION, kind: o.kind ?? EXCEPTION_KIND }));
    for (const w of waiters) w();
  };
  for (const event of ['add', 'update', 'delete'] as const) informer.on(event, refresh);
  informer.on('error', (err: unknown) => {
    failed = true;
    if (stopped) return;
    const code = (err as { code?: number; statusCode?: number }).code ?? (err as { statusCode?: number }).statusCode;
    if (code === 404 && objects === undefined) {
      // No CRD (exceptions.installCRD off and nobody installed it): there are no exceptions, which is an answer.
      objects = [];
      for (const w of waiters) w();
      log.warn('the FlinkHAException CRD is not installed: no exceptions apply; retrying in case it is installed later');
    } else {
      // A stale list is kept: an exception deleted meanwhile counts until the watch is back (seconds).
      log.warn({ err: (err as Error).message?.split('\n')[0] }, 'could not list or watch FlinkHAExceptions; retrying');
    }
    // Backs off (to a minute) while it keeps failing: a missing RBAC rule must not flood the log every 2 s.
    failures++;
    retry = setTimeout(() => void start(), code === 404 ? retryMs * 15 : Math.min(retryMs * 2 ** (failures - 1), 60_000));
  });
  const start = async () => {
    if (stopped) return;
    failed = false;
    await informer.start().catch(() => undefined); // failures reach the 'error' handler above
    // Listed and watching (an empty list fires no 'add', yet it is an answer).
    if (!stopped && !failed) {
      failures = 0;
      refresh();
    }
  };
  void start();

  return {
    current: () => (objects ? { objects, now: now() } : undefined),
    synced: (timeoutMs) => new Promise<boolean>((resolve) => {
      if (objects) return resolve(true);
      const timer = setTimeout(() => {
        waiters.delete(done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve(objects !== undefined);
      };
      waiters.add(done);
    }),
    stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      void informer.stop();
      for (const w of waiters) w();
    },
  };
}
