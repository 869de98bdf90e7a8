// One replica at a time does the cluster-wide chores of `serve` (the namespace labels, the background audit and its
// Reports): whoever holds a Lease in the webhook's namespace. Taken over once the holder stopped renewing it.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';

/**
 * The name the namespace labeler's Lease had before it was shared: kept, so that during a rolling upgrade an old
 * replica and a new one still compete for one Lease and never both act.
 */
export const LEADER_LEASE = 'flink-ha-webhook-namespace-labeler';
const LEASE_SECONDS = 15;
const RENEW_MS = 5000;

export interface LeaderElection {
  isLeader(): boolean;
  /** Called on every change (true: became leader; false: lost it). */
  onChange(listener: (leader: boolean) => void): void;
  stop(): void;
}

export interface LeaderElectionOptions {
  namespace: string;
  identity: string;
  logger: Logger;
  name?: string;
  leaseSeconds?: number;
  renewMs?: number;
}

export function startLeaderElection(kc: KubeConfig, options: LeaderElectionOptions): LeaderElection {
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const { namespace, identity } = options;
  const name = options.name ?? LEADER_LEASE;
  const leaseSeconds = options.leaseSeconds ?? LEASE_SECONDS;
  const log = options.logger.child({ component: 'leader-election', lease: name });
  const listeners: Array<(leader: boolean) => void> = [];
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const set = (next: boolean) => {
    if (next === leader) return;
    leader = next;
    log.info({ identity }, next ? 'holds the leader lease' : 'lost the leader lease');
    for (const l of listeners) {
      try {
        l(next);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'a leadership listener failed');
      }
    }
  };

  const campaign = async () => {
    const now = new V1MicroTime();
    const spec = { holderIdentity: identity, leaseDurationSeconds: leaseSeconds, renewTime: now };
    let lease: V1Lease | undefined;
    try {
      lease = await coordination.readNamespacedLease({ name, namespace });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
    if (!lease) {
      await coordination.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: { ...spec, acquireTime: now } } });
    } else {
      const holder = lease.spec?.holderIdentity;
      const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
      const expired = renewed + (lease.spec?.leaseDurationSeconds ?? leaseSeconds) * 1000 < now.getTime();
      if (holder !== identity && !expired) return set(false);
      // A replace carries the read resourceVersion: of two replicas taking over an expired Lease, one gets a conflict.
      await coordination.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: { ...lease.spec, ...spec } } });
    }
    set(true);
  };
  const loop = () => {
    if (stopped) return;
    campaign().catch((err: unknown) => {
      set(false);
      log.warn({ err: (err as Error).message.split('\n')[0] }, 'leader lease: could not renew');
    }).finally(() => {
      if (!stopped) timer = setTimeout(loop, options.renewMs ?? RENEW_MS);
    });
  };
  loop();

  return {
    isLeader: () => leader && !stopped,
    onChange: (listener) => void listeners.push(listener),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      set(false);
    },
  };
}
