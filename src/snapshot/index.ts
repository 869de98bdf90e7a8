// The one index of a snapshot's objects, built once and never changed: where each object lands, what it is to
// Flink, the cluster it belongs to, and what the others look it up by. The offline ClusterView (./cluster-view.ts),
// the judge (./judge.ts) and the audit's whole-cluster checks (src/audit/) all read it; no consumer re-derives a fact.
import type { WebhookConfig } from '../config/types.ts';
import { clusterIdOf, listedAsCluster } from '../flink/cluster-id.ts';
import { haConfigMapClusterId } from '../flink/ha-configmap.ts';
import { classify, mountedConfigMapName, type Classified } from '../flink/workload.ts';
import type { KubeObject } from '../kube/objects.ts';
import { namespaceOf, type Snapshot, type SnapshotObject } from './snapshot.ts';

export interface IndexedObject {
  entry: SnapshotObject;
  /** The namespace it lands in ('' for a Namespace). */
  namespace: string;
  classified: Classified;
  /** An HA ConfigMap's cluster ('' when nothing names it); undefined for anything else. */
  haClusterId?: string;
}

export type ClusterIds = Array<{ clusterId: string; owner: string }>;

export interface SnapshotIndex {
  snapshot: Snapshot;
  /** Every object, in input order. */
  objects: IndexedObject[];
  /** The last object of that kind, namespace ('' for Namespaces) and name, as given. */
  get(kind: string, namespace: string, name: string): KubeObject | undefined;
  /** HA ConfigMaps, in input order. */
  haConfigMaps: IndexedObject[];
  /** `namespace/clusterId` -> its HA ConfigMaps. */
  haByCluster: Map<string, KubeObject[]>;
  /** Namespaces that hold HA ConfigMaps. */
  haNamespaces: Set<string>;
  /** The cluster-ids a namespace's listing shows (the objects that stand for a Flink cluster: listedAsCluster). */
  clusterIdsByNamespace: Map<string, ClusterIds>;
  /**
   * The cluster-id a Flink workload, FlinkDeployment or session job runs with, read as the cluster-id rule reads
   * its own (args, then the mounted config file as given, else derived); undefined for anything else. Worked out
   * once per object, when first asked (a dry-run asks only of the objects that stand for a cluster).
   */
  clusterIdOf(o: IndexedObject): string | undefined;
}

export function objectKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

const patternCache = new WeakMap<string[], RegExp[]>();

/** The config's image patterns, compiled once per pattern list. */
export function compiledImagePatterns(config: WebhookConfig): RegExp[] {
  let compiled = patternCache.get(config.imagePatterns);
  if (!compiled) patternCache.set(config.imagePatterns, (compiled = config.imagePatterns.map((p) => new RegExp(p))));
  return compiled;
}

export function indexSnapshot(snapshot: Snapshot, imagePatterns: RegExp[]): SnapshotIndex {
  const byKey = new Map<string, KubeObject>();
  for (const ns of snapshot.facts?.namespaces ?? []) if (ns.kind && ns.metadata?.name) byKey.set(objectKey(ns.kind, '', ns.metadata.name), ns);
  const objects = new Array<IndexedObject>(snapshot.objects.length);
  const haConfigMaps: IndexedObject[] = [];
  const haByCluster = new Map<string, KubeObject[]>();
  const haNamespaces = new Set<string>();
  for (let i = 0; i < snapshot.objects.length; i++) {
    const entry = snapshot.objects[i]!;
    const object = entry.object;
    const namespace = namespaceOf(object, snapshot.defaultNamespace);
    if (object.kind && object.metadata?.name) byKey.set(objectKey(object.kind, namespace, object.metadata.name), object);
    const indexed: IndexedObject = { entry, namespace, classified: classify(object, imagePatterns) };
    const haCluster = haConfigMapClusterId(object);
    if (haCluster !== undefined) {
      indexed.haClusterId = haCluster;
      haConfigMaps.push(indexed);
      haNamespaces.add(namespace);
      const k = `${namespace}/${haCluster}`;
      const list = haByCluster.get(k);
      if (list) list.push(object);
      else haByCluster.set(k, [object]);
    }
    objects[i] = indexed;
  }
  // Cluster-ids are read once every ConfigMap and FlinkDeployment is known (a workload reads its mounted config
  // file, an operator-made JobManager its FlinkDeployment's uid).
  const clusterIds = new Map<IndexedObject, string | undefined>();
  const clusterIdOfObject = (o: IndexedObject): string | undefined => {
    const c = o.classified;
    if (c.shape !== 'workload' && c.shape !== 'flinkdeployment' && c.shape !== 'flink-session-job') return undefined;
    if (clusterIds.has(o)) return clusterIds.get(o);
    const mountedName = c.shape === 'workload' ? mountedConfigMapName(c.podSpec, c.container) : undefined;
    const id = clusterIdOf(o.entry.object, c, mountedName ? byKey.get(objectKey('ConfigMap', o.namespace, mountedName)) : undefined);
    clusterIds.set(o, id);
    return id;
  };
  const clusterIdsByNamespace = new Map<string, ClusterIds>();
  for (const o of objects) {
    const c = o.classified;
    const object = o.entry.object;
    const flinkDeployment = (name: string) => {
      const fd = byKey.get(objectKey('FlinkDeployment', o.namespace, name));
      const uid: unknown = fd?.metadata?.uid;
      return fd ? (typeof uid === 'string' ? { uid } : {}) : undefined;
    };
    if (!listedAsCluster(object, c, flinkDeployment)) continue;
    const id = clusterIdOfObject(o);
    if (!id) continue;
    let list = clusterIdsByNamespace.get(o.namespace);
    if (!list) clusterIdsByNamespace.set(o.namespace, (list = []));
    list.push({ clusterId: id, owner: `${object.kind}/${object.metadata?.name ?? ''}` });
  }
  return {
    snapshot, objects, haConfigMaps, haByCluster, haNamespaces, clusterIdsByNamespace,
    get: (kind, ns, name) => byKey.get(objectKey(kind, ns, name)),
    clusterIdOf: clusterIdOfObject,
  };
}

/** The Flink cluster an object belongs to, for grouping findings: a workload's cluster-id, an HA ConfigMap's cluster. */
export function clusterOf(index: SnapshotIndex, o: IndexedObject): string | undefined {
  return o.haClusterId || index.clusterIdOf(o) || undefined;
}
