// Which objects of a snapshot are Flink clusters, and what the whole-cluster checks need to know about them:
// cluster-id, JobManager count, ServiceAccount, who owns them. Read from the snapshot's index (its classification
// and cluster-ids, src/snapshot/index.ts), never worked out again. Defensive: objects are untrusted data.
import { isOperatorOwned, isRecord, jobManagerCountOf, serviceAccountOf } from '../flink/workload.ts';
import type { KubeObject } from '../kube/objects.ts';
import type { IndexedObject, SnapshotIndex } from '../snapshot/index.ts';
import type { SnapshotObject } from '../snapshot/snapshot.ts';

export type FlinkRole = 'cluster' | 'jobmanager' | 'taskmanager' | 'session-job';

export interface FlinkWorkload {
  item: SnapshotObject;
  object: KubeObject;
  kind: string;
  namespace: string;
  name: string;
  role: FlinkRole;
  /** undefined when nothing on the object names it. */
  clusterId?: string;
  /** JobManagers this object runs (FlinkDeployment and JobManager controllers only). */
  jobManagers?: number;
  /** The ServiceAccount its pods run as (`default` when the pod spec names none). */
  serviceAccount?: string;
  /** Derived by the Flink operator from a FlinkDeployment: the operator, not the user, owns it. */
  ownedByOperator: boolean;
  /** A controller-owned Pod (ReplicaSet, Job, StatefulSet, Deployment): its controller speaks for it. */
  ownedByController: boolean;
}

const CONTROLLER_KINDS = new Set(['ReplicaSet', 'Deployment', 'StatefulSet', 'Job', 'DaemonSet']);

/** What the whole-cluster checks need of a Flink object, from the same Flink facts the policy reads (src/flink/). */
export function flinkWorkloadOf(o: IndexedObject, index: SnapshotIndex): FlinkWorkload | undefined {
  const c = o.classified;
  if (c.shape !== 'flinkdeployment' && c.shape !== 'flink-session-job' && c.shape !== 'workload') return undefined;
  const obj = o.entry.object;
  const kind = obj.kind ?? '';
  const base = { item: o.entry, object: obj, kind, namespace: o.namespace, name: obj.metadata?.name ?? '', ownedByOperator: isOperatorOwned(obj), ownedByController: false, clusterId: index.clusterIdOf(o) };
  if (c.shape === 'flinkdeployment') {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    return { ...base, role: 'cluster', jobManagers: jobManagerCountOf(obj, c), serviceAccount: stringOr(spec.serviceAccount) };
  }
  if (c.shape === 'flink-session-job') return { ...base, role: 'session-job' };
  const owners: unknown = obj.metadata?.ownerReferences;
  return {
    ...base,
    ownedByController: kind === 'Pod' && Array.isArray(owners) && owners.some((r) => isRecord(r) && typeof r.kind === 'string' && CONTROLLER_KINDS.has(r.kind)),
    role: c.role,
    jobManagers: jobManagerCountOf(obj, c),
    serviceAccount: serviceAccountOf(c.podSpec),
  };
}

function stringOr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
