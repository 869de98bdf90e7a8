// Everything an audit knows, in memory: the objects (from files or from a cluster listing), the Flink workloads and
// HA ConfigMaps among them, and for live audits what else was listed (namespaces, ServiceAccounts, their ConfigMap
// rights, the webhook configurations). Both the policy's ClusterView and the whole-cluster checks answer from it.
import type { KubeObject } from '../kube/objects.ts';
import type { WebhookConfig } from '../config/types.ts';
import { haConfigMapClusterId } from '../flink/ha-configmap.ts';
import { flinkWorkloadOf, type FlinkWorkload } from './flink-workloads.ts';
import type { AuditItem } from './judge.ts';
import type { AuditFinding } from './types.ts';
import type { ClusterFacts } from '../snapshot/snapshot.ts';

export interface HaConfigMapEntry {
  item: AuditItem;
  namespace: string;
  name: string;
  clusterId: string;
}

export type WorkloadEntry = FlinkWorkload & { item: AuditItem };

/** What a live audit listed besides the objects (the snapshot's facts); absent for a folder audit. */
export type ClusterExtras = ClusterFacts;

export interface Inventory {
  live: boolean;
  /** The Flink cluster each item belongs to (HA ConfigMaps and workloads), worked out once for every consumer. */
  clusterIdOf: (item: AuditItem) => string | undefined;
  /** The namespace of objects that name none (kubectl's current namespace). */
  defaultNamespace: string;
  items: AuditItem[];
  workloads: WorkloadEntry[];
  haConfigMaps: HaConfigMapEntry[];
  extras: ClusterExtras;
}

export function buildInventory(items: AuditItem[], config: WebhookConfig, extras?: ClusterExtras, defaultNamespace = 'default'): Inventory {
  const configMaps = new Map<string, KubeObject>();
  const haConfigMaps: HaConfigMapEntry[] = [];
  for (const item of items) {
    const obj = item.object;
    if (obj.kind !== 'ConfigMap') continue;
    const namespace = obj.metadata?.namespace ?? defaultNamespace;
    const name = obj.metadata?.name ?? '';
    configMaps.set(`${namespace}/${name}`, obj);
    const clusterId = haConfigMapClusterId(obj);
    if (clusterId !== undefined) haConfigMaps.push({ item, namespace, name, clusterId });
  }
  const workloads: WorkloadEntry[] = [];
  for (const item of items) {
    const namespaced = item.object.metadata?.namespace === undefined ? { ...item.object, metadata: { ...item.object.metadata, namespace: defaultNamespace } } : item.object;
    const w = flinkWorkloadOf(namespaced, config, (ns, name) => configMaps.get(`${ns}/${name}`));
    if (w) workloads.push({ ...w, item });
  }
  const clusterIds = new Map<AuditItem, string>();
  for (const w of workloads) if (w.clusterId) clusterIds.set(w.item, w.clusterId);
  for (const c of haConfigMaps) if (c.clusterId) clusterIds.set(c.item, c.clusterId);
  return { live: extras !== undefined, clusterIdOf: (item) => clusterIds.get(item), defaultNamespace, items, workloads, haConfigMaps, extras: extras ?? { workloadsComplete: true } };
}

/**
 * The objects that each stand for one Flink cluster: FlinkDeployments, and JobManager controllers or bare JobManager
 * pods that the operator did not derive (its Deployment has the FlinkDeployment's name as cluster-id: not a second
 * cluster).
 */
export function clusterRoots(inv: Inventory): WorkloadEntry[] {
  return inv.workloads.filter(
    (w) => w.clusterId !== undefined && !w.ownedByOperator && !w.ownedByController && (w.role === 'cluster' || w.role === 'jobmanager'),
  );
}

/** Where a check's finding about an object points (the same fields a policy finding gets). */
export function findingAt(inv: Inventory, item: AuditItem, clusterId?: string): Pick<AuditFinding, 'kind' | 'apiVersion' | 'namespace' | 'name' | 'file' | 'line' | 'item' | 'clusterId'> {
  const obj = item.object;
  return {
    kind: obj.kind ?? '(no kind)',
    apiVersion: obj.apiVersion,
    namespace: obj.kind === 'Namespace' ? undefined : (obj.metadata?.namespace ?? inv.defaultNamespace),
    name: obj.metadata?.name ?? '(unnamed)',
    file: item.file,
    line: item.line,
    ...(item.item !== undefined ? { item: item.item } : {}),
    clusterId,
  };
}
