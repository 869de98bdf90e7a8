// Keeps the label `haStateNamespaceLabel` (default flink-ha.io/ha-state=true) on exactly the namespaces that hold
// Flink HA ConfigMaps, so that the fail-closed namespaces webhook selects only those: with the webhook down, every
// other namespace stays deletable. A watch of Flink-labelled ConfigMaps drives it; one replica acts at a time
// (the leader Lease), and removing the label while HA state remains is refused by the protect-namespace guard.
import { CoreV1Api, PatchStrategy, makeInformer, setHeaderOptions, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { HA_LABELS, isHaConfigMap } from '../flink/ha-configmap.ts';
import type { WebhookConfig } from '../config/types.ts';
import type { LeaderElection } from '../server/leader-election.ts';

export interface NamespaceLabeler {
  stop(): void;
  /** Resolves after the next reconcile pass (tests). */
  settled(): Promise<void>;
}

export function startNamespaceLabeler(kc: KubeConfig, config: WebhookConfig, logger: Logger, election: LeaderElection, resyncMs = 30_000): NamespaceLabeler {
  const core = kc.makeApiClient(CoreV1Api);
  const label = config.haStateNamespaceLabel;
  const log = logger.child({ component: 'namespace-labeler' });
  let stopped = false;
  let pending: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const reconcile = async () => {
    if (!election.isLeader() || stopped) return;
    const cms = await core.listConfigMapForAllNamespaces({ labelSelector: `type=${HA_LABELS.type}` });
    const holding = new Set(cms.items.filter((cm) => isHaConfigMap({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }))
      .map((cm) => cm.metadata?.namespace ?? '').filter((ns) => ns && !config.excludedNamespaces.includes(ns)));
    const labelled = new Set((await core.listNamespace({ labelSelector: label })).items.map((ns) => ns.metadata?.name ?? ''));
    const patch = (name: string, value: string | null) =>
      core.patchNamespace({ name, body: { metadata: { labels: { [label]: value } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    for (const ns of holding) {
      if (labelled.has(ns)) continue;
      await patch(ns, 'true');
      log.info({ namespace: ns, label }, 'namespace holds HA ConfigMaps: labelled, its deletion is now guarded fail-closed');
    }
    for (const ns of labelled) {
      if (holding.has(ns)) continue;
      await patch(ns, null);
      log.info({ namespace: ns, label }, 'namespace holds no HA ConfigMaps any more: label removed');
    }
  };
  const schedule = (delayMs = 300) => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      pending = pending.then(reconcile).catch((err: unknown) => {
        log.warn({ err: (err as Error).message.split('\n')[0] }, 'could not reconcile the namespace labels; retrying');
        schedule(2000);
      });
    }, delayMs);
  };

  // One replica at a time keeps the labels: the holder of the shared leader Lease (src/server/leader-election.ts).
  election.onChange((isLeader) => {
    if (isLeader) schedule(0);
  });
  if (election.isLeader()) schedule(0);

  const informer = makeInformer<V1ConfigMap>(kc, `/api/v1/configmaps?labelSelector=type%3D${HA_LABELS.type}`,
    () => core.listConfigMapForAllNamespaces({ labelSelector: `type=${HA_LABELS.type}` }), `type=${HA_LABELS.type}`);
  for (const event of ['add', 'update', 'delete'] as const) informer.on(event, () => schedule());
  informer.on('error', () => {
    if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 2000);
  });
  void informer.start().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not watch ConfigMaps; falling back to the resync'));
  const resync = setInterval(() => schedule(0), resyncMs);

  return {
    stop() {
      stopped = true;
      clearInterval(resync);
      if (timer) clearTimeout(timer);
      void informer.stop();
    },
    settled: () => pending,
  };
}
