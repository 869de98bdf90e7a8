// What the whole-cluster checks read: the snapshot's index (src/snapshot/index.ts: every object, classified once,
// with its cluster-id) seen as the Flink workloads and HA ConfigMaps among them, and for a live audit what else
// was listed (namespaces, ServiceAccounts, their ConfigMap rights, the webhook configurations).
import type { IndexedObject, SnapshotIndex } from '../snapshot/index.ts';
import type { ClusterFacts, SnapshotObject } from '../snapshot/snapshot.ts';
import { flinkWorkloadOf, type FlinkWorkload } from './flink-workloads.ts';
import type { AuditFinding } from './types.ts';

export interface HaConfigMapEntry {
  item: SnapshotObject;
  namespace: string;
  name: string;
  clusterId: string;
}

export interface Inventory {
  live: boolean;
  index: SnapshotIndex;
  workloads: FlinkWorkload[];
  haConfigMaps: HaConfigMapEntry[];
  /** What a live read listed besides the objects; a folder has none but "every workload kind was read". */
  facts: ClusterFacts;
}

export function buildInventory(index: SnapshotIndex): Inventory {
  const workloads: FlinkWorkload[] = [];
  for (const o of index.objects) {
    const w = flinkWorkloadOf(o, index);
    if (w) workloads.push(w);
  }
  const haConfigMaps = index.haConfigMaps.map((o: IndexedObject): HaConfigMapEntry => ({
    item: o.entry, namespace: o.namespace, name: o.entry.object.metadata?.name ?? '', clusterId: o.haClusterId ?? '',
  }));
  const facts = index.snapshot.facts;
  return { live: facts !== undefined, index, workloads, haConfigMaps, facts: facts ?? { workloadsComplete: true } };
}

/**
 * The objects that each stand for one Flink cluster: FlinkDeployments, and JobManager controllers or bare JobManager
 * pods that the operator did not derive (its Deployment has the FlinkDeployment's name as cluster-id: not a second
 * cluster).
 */
export function clusterRoots(inv: Inventory): FlinkWorkload[] {
  return inv.workloads.filter(
    (w) => w.clusterId !== undefined && !w.ownedByOperator && !w.ownedByController && (w.role === 'cluster' || w.role === 'jobmanager'),
  );
}

/** Where a check's finding about an object points (the same fields a policy finding gets). */
export function findingAt(inv: Inventory, item: SnapshotObject, clusterId?: string): Pick<AuditFinding, 'kind' | 'apiVersion' | 'namespace' | 'name' | 'file' | 'line' | 'item' | 'clusterId'> {
  const obj = item.object;
  return {
    kind: obj.kind ?? '(no kind)',
    apiVersion: obj.apiVersion,
    namespace: obj.kind === 'Namespace' ? undefined : (obj.metadata?.namespace ?? inv.index.snapshot.defaultNamespace),
    name: obj.metadata?.name ?? '(unnamed)',
    file: item.origin?.file,
    line: item.origin?.line,
    ...(item.origin?.item !== undefined ? { item: item.origin.item } : {}),
    clusterId,
  };
}
