// A ClusterView answered from the manifests given to dry-run: it knows what is in them and nothing else, so it
// answers "could not check" unless the manifests themselves settle the question (a duplicate cluster-id among
// them, the Flink config ConfigMap a workload mounts, a ServiceAccount they create). Indexed by namespace so a
// large manifest set costs one pass, not one pass per object.
import type { KubeObject } from '../kube/objects.ts';
import { isHaConfigMap } from '../flink/ha-configmap.ts';
import { jobManagerClusterIdOf } from '../flink/cluster-id.ts';
import type { ClusterView } from '../policy/types.ts';

export interface ManifestClusterView extends ClusterView {
  /** Replace an object by its mutated version, so later lookups see what the webhook would have stored. */
  update(obj: KubeObject, namespace: string): void;
}

type ClusterIds = Array<{ clusterId: string; owner: string }>;

export function manifestClusterView(objects: Array<{ object: KubeObject; namespace: string }>, imagePatterns: RegExp[]): ManifestClusterView {
  const byKey = new Map<string, KubeObject>();
  const haNamespaces = new Set<string>();
  const idsByNs = new Map<string, ClusterIds>();
  const key = (kind: string, ns: string, name: string): string => `${kind}/${ns}/${name}`;
  const add = (obj: KubeObject, ns: string): void => {
    if (obj.kind && obj.metadata?.name) byKey.set(key(obj.kind, obj.kind === 'Namespace' ? '' : ns, obj.metadata.name), obj);
  };
  for (const { object, namespace } of objects) {
    add(object, namespace);
    if (isHaConfigMap(object)) haNamespaces.add(namespace);
    // Cluster-ids come from the objects as given: a mutation derives the same id it would have derived here.
    const id = jobManagerClusterIdOf(object, imagePatterns);
    if (id) {
      const list = idsByNs.get(namespace) ?? [];
      list.push({ clusterId: id, owner: `${object.kind}/${object.metadata?.name ?? ''}` });
      idsByNs.set(namespace, list);
    }
  }
  // Only a duplicate among the manifests is a fact; no duplicate here says nothing about the cluster.
  const duplicatesByNs = new Map<string, ClusterIds>();
  for (const [ns, ids] of idsByNs) {
    const counts = new Map<string, number>();
    for (const e of ids) counts.set(e.clusterId, (counts.get(e.clusterId) ?? 0) + 1);
    const dups = ids.filter((e) => (counts.get(e.clusterId) ?? 0) > 1);
    if (dups.length > 0) duplicatesByNs.set(ns, dups);
  }

  return {
    update: add,
    namespaceMeta: (ns) => {
      const obj = byKey.get(key('Namespace', '', ns));
      return Promise.resolve(obj ? { labels: obj.metadata?.labels ?? {}, annotations: obj.metadata?.annotations ?? {} } : undefined);
    },
    serviceAccountExists: (ns, name) => Promise.resolve(byKey.has(key('ServiceAccount', ns, name)) ? true : undefined),
    serviceAccountCanManageConfigMaps: () => Promise.resolve(undefined),
    flinkClusterIds: (ns) => Promise.resolve(duplicatesByNs.get(ns)),
    namespaceHoldsHaState: (ns) => Promise.resolve(haNamespaces.has(ns) ? true : undefined),
    configMap: (ns, name) => Promise.resolve(byKey.get(key('ConfigMap', ns, name))),
  };
}
