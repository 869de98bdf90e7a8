// The one offline ClusterView: the policy's questions answered from a snapshot, for dry-run and audit alike (files
// or a live read). It answers what the snapshot shows and says "could not check" (undefined) for what it cannot
// know: a folder of manifests knows the objects in it, never the absence of others. Indexed once, O(1) per question.
import type { KubeObject } from '../kube/objects.ts';
import { haConfigMapClusterId } from '../flink/ha-configmap.ts';
import { clusterIdOf, listedAsCluster } from '../flink/cluster-id.ts';
import { classify, mountedConfigMapName } from '../flink/workload.ts';
import { isExceptionObject } from '../policy/exceptions.ts';
import type { ClusterView } from '../policy/types.ts';
import { namespaceOf, type Snapshot } from './snapshot.ts';

export interface SnapshotClusterView extends ClusterView {
  /** Replace an object by its mutated version, so later questions see what the webhook would have stored. */
  update(obj: KubeObject, namespace: string): void;
}

type ClusterIds = Array<{ clusterId: string; owner: string }>;

/** `now`: the clock exceptions' expiry is judged by, read once at the edge for the whole run. */
export function snapshotClusterView(snapshot: Snapshot, imagePatterns: RegExp[], now = Date.now()): SnapshotClusterView {
  const facts = snapshot.facts;
  const exceptions: KubeObject[] = [];
  const byKey = new Map<string, KubeObject>();
  const haNamespaces = new Set<string>();
  const haByCluster = new Map<string, KubeObject[]>();
  const idsByNs = new Map<string, ClusterIds>();
  const key = (kind: string, ns: string, name: string): string => `${kind}/${ns}/${name}`;
  const add = (obj: KubeObject, ns: string): void => {
    if (obj.kind && obj.metadata?.name) byKey.set(key(obj.kind, obj.kind === 'Namespace' ? '' : ns, obj.metadata.name), obj);
  };
  for (const ns of facts?.namespaces ?? []) add(ns, '');
  for (const { object } of snapshot.objects) {
    const ns = namespaceOf(object, snapshot.defaultNamespace);
    add(object, ns);
    // FlinkHAExceptions given (files) or listed (a live read), each placed in the namespace it lands in.
    if (isExceptionObject(object)) exceptions.push(object.metadata?.namespace ? object : { ...object, metadata: { ...object.metadata, namespace: ns } });
    const haCluster = haConfigMapClusterId(object);
    if (haCluster !== undefined) {
      haNamespaces.add(ns);
      const k = `${ns}/${haCluster}`;
      haByCluster.set(k, [...(haByCluster.get(k) ?? []), object]);
    }
  }
  // Cluster-ids as the objects are given, read the way the cluster-id rule reads its own (args, then the mounted
  // file, else derived): a mutation derives the same id it would have derived here.
  for (const { object } of snapshot.objects) {
    const c = classify(object, imagePatterns);
    const ns = namespaceOf(object, snapshot.defaultNamespace);
    const flinkDeployment = (name: string) => {
      const fd = byKey.get(key('FlinkDeployment', ns, name));
      const uid: unknown = fd?.metadata?.uid;
      return fd ? (typeof uid === 'string' ? { uid } : {}) : undefined;
    };
    if (!listedAsCluster(object, c, flinkDeployment)) continue;
    const mountedName = c.shape === 'workload' ? mountedConfigMapName(c.podSpec, c.container) : undefined;
    const id = clusterIdOf(object, c, mountedName ? byKey.get(key('ConfigMap', ns, mountedName)) : undefined);
    if (id) {
      let list = idsByNs.get(ns);
      if (!list) idsByNs.set(ns, (list = []));
      list.push({ clusterId: id, owner: `${object.kind}/${object.metadata?.name ?? ''}` });
    }
  }
  const complete = facts?.workloadsComplete === true;

  return {
    update: add,
    namespaceMeta: (ns) => {
      const obj = byKey.get(key('Namespace', '', ns));
      return Promise.resolve(obj ? { labels: obj.metadata?.labels ?? {}, annotations: obj.metadata?.annotations ?? {} } : undefined);
    },
    serviceAccountExists: (ns, name) => {
      if (facts?.serviceAccounts) return Promise.resolve(facts.serviceAccounts.has(`${ns}/${name}`));
      return Promise.resolve(byKey.has(key('ServiceAccount', ns, name)) ? true : undefined);
    },
    serviceAccountCanManageConfigMaps: (ns, name) => Promise.resolve(facts?.serviceAccountRights?.get(`${ns}/${name}`)),
    // Only a complete listing proves uniqueness; what a manifest set shows is offered as "known" (duplicates only).
    flinkClusterIds: (ns) => Promise.resolve(complete ? (idsByNs.get(ns) ?? []) : undefined),
    knownFlinkClusterIds: (ns) => Promise.resolve(idsByNs.get(ns) ?? []),
    namespaceHoldsHaState: (ns) => Promise.resolve(haNamespaces.has(ns) ? true : complete ? false : undefined),
    // A manifest set shows the HA ConfigMaps it holds; only a complete listing proves a cluster has none.
    haConfigMapsOf: (ns, clusterId) => Promise.resolve(haByCluster.get(`${ns}/${clusterId}`) ?? (complete ? [] : undefined)),
    configMap: (ns, name) => Promise.resolve(byKey.get(key('ConfigMap', ns, name))),
    exceptions: () => ({ objects: exceptions, now }),
    flinkDeployment: (ns, name) => Promise.resolve(byKey.get(key('FlinkDeployment', ns, name)) ?? (complete ? null : undefined)),
    // A Pod the snapshot holds; the absence of one proves nothing (a snapshot lists no Pods it was not given).
    boundPod: (ns, name) => {
      const pod = byKey.get(key('Pod', ns, name));
      const spec = pod?.spec as { serviceAccountName?: string; serviceAccount?: string } | undefined;
      const uid: unknown = pod?.metadata?.uid;
      return Promise.resolve(pod ? { uid: typeof uid === 'string' ? uid : '', serviceAccountName: String(spec?.serviceAccountName || spec?.serviceAccount || 'default') } : undefined);
    },
  };
}
