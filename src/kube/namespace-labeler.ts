// Keeps the label `haStateNamespaceLabel` (default flink-ha.io/ha-state=true) on exactly the namespaces that hold
// Flink HA ConfigMaps, so that the fail-closed namespaces webhook selects only those: with the webhook down, every
// other namespace stays deletable. A watch of Flink-labelled ConfigMaps drives it; one replica acts at a time
// (a Lease), and removing the label while HA state remains is refused by the protect-namespace guard.
import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  V1MicroTime,
  type KubeConfig,
  type V1ConfigMap,
  type V1Lease,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { HA_LABELS, isHaConfigMap } from '../flink/ha-configmap.ts';
import type { WebhookConfig } from '../config/types.ts';

export interface NamespaceLabeler {
  stop(): void;
  /** Resolves after the next reconcile pass (tests). */
  settled(): Promise<void>;
}

const LEASE_NAME = 'flink-ha-webhook-namespace-labeler';
const LEASE_SECONDS = 15;
const RENEW_MS = 5000;

export function startNamespaceLabeler(kc: KubeConfig, config: WebhookConfig, logger: Logger, identity: string, resyncMs = 30_000): NamespaceLabeler {
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const label = config.haStateNamespaceLabel;
  const log = logger.child({ component: 'namespace-labeler' });
  let leader = false;
  let stopped = false;
  let pending: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const reconcile = async () => {
    if (!leader || stopped) return;
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

  // Leader election over a Lease in the webhook's namespace: holder = this pod; taken over once it expired.
  const campaign = async () => {
    const now = new V1MicroTime();
    const spec = { holderIdentity: identity, leaseDurationSeconds: LEASE_SECONDS, renewTime: now };
    let lease: V1Lease | undefined;
    try {
      lease = await coordination.readNamespacedLease({ name: LEASE_NAME, namespace: config.webhookNamespace });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
    if (!lease) {
      await coordination.createNamespacedLease({ namespace: config.webhookNamespace, body: { metadata: { name: LEASE_NAME, namespace: config.webhookNamespace }, spec: { ...spec, acquireTime: now } } });
    } else {
      const holder = lease.spec?.holderIdentity;
      const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
      const expired = renewed + (lease.spec?.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 < now.getTime();
      if (holder !== identity && !expired) {
        if (leader) log.info('lost the namespace-labeler lease');
        leader = false;
        return;
      }
      await coordination.replaceNamespacedLease({ name: LEASE_NAME, namespace: config.webhookNamespace, body: { ...lease, spec: { ...lease.spec, ...spec } } });
    }
    if (!leader) {
      log.info({ identity }, 'holds the namespace-labeler lease');
      leader = true;
      schedule(0);
    }
  };
  const campaignLoop = () => {
    if (stopped) return;
    campaign().catch((err: unknown) => {
      leader = false;
      log.warn({ err: (err as Error).message.split('\n')[0] }, 'namespace-labeler lease: could not renew');
    }).finally(() => {
      if (!stopped) leaseTimer = setTimeout(campaignLoop, RENEW_MS);
    });
  };
  let leaseTimer: NodeJS.Timeout | undefined;
  campaignLoop();

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
      if (leaseTimer) clearTimeout(leaseTimer);
      void informer.stop();
    },
    settled: () => pending,
  };
}
