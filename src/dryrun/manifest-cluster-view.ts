// A ClusterView answered from the manifests given to dry-run: it knows what is in them and nothing else, so it
// answers "could not check" unless the manifests themselves settle the question (a duplicate cluster-id among
// them, the Flink config ConfigMap a workload mounts, a ServiceAccount they create).
import type { KubeObject } from '../kube/objects.ts';
import { isHaConfigMap } from '../flink/ha-configmap.ts';
import { jobManagerClusterIdOf } from '../flink/cluster-id.ts';
import type { ClusterView } from '../policy/types.ts';

export interface ManifestClusterView extends ClusterView {
  /** Replace an object by its mutated version, so later lookups see what the webhook would have stored. */
  update(obj: KubeObject, namespace: string): void;
}

export function manifestClusterView(objects: Array<{ object: KubeObject; namespace: string }>, imagePatterns: RegExp[]): ManifestClusterView {
  const byKey = new Map<string, KubeObject>();
  const key = (kind: string, ns: string, name: string): string => `${kind}/${ns}/${name}`;
  const add = (obj: KubeObject, ns: string): void => {
    if (obj.kind && obj.metadata?.name) byKey.set(key(obj.kind, obj.kind === 'Namespace' ? '' : ns, obj.metadata.name), obj);
  };
  for (const { object, namespace } of objects) add(object, namespace);
  const inNamespace = (ns: string): Array<[string, KubeObject]> => [...byKey.entries()].filter(([k]) => k.split('/')[1] === ns);

  return {
    update: add,
    namespaceMeta: (ns) => {
      const obj = byKey.get(key('Namespace', '', ns));
      return Promise.resolve(obj ? { labels: obj.metadata?.labels ?? {}, annotations: obj.metadata?.annotations ?? {} } : undefined);
    },
    serviceAccountExists: (ns, name) => Promise.resolve(byKey.has(key('ServiceAccount', ns, name)) ? true : undefined),
    serviceAccountCanManageConfigMaps: () => Promise.resolve(undefined),
    flinkClusterIds: (ns) => {
      const ids = inNamespace(ns).flatMap(([, obj]) => {
        const id = jobManagerClusterIdOf(obj, imagePatterns);
        return id ? [{ clusterId: id, owner: `${obj.kind}/${obj.metadata?.name ?? ''}` }] : [];
      });
      // Only a duplicate among the manifests is a fact; no duplicate here says nothing about the cluster.
      const counts = new Map<string, number>();
      for (const e of ids) counts.set(e.clusterId, (counts.get(e.clusterId) ?? 0) + 1);
      return Promise.resolve([...counts.values()].some((n) => n > 1) ? ids.filter((e) => (counts.get(e.clusterId) ?? 0) > 1) : undefined);
    },
    namespaceHoldsHaState: (ns) => Promise.resolve(inNamespace(ns).some(([, obj]) => isHaConfigMap(obj)) ? true : undefined),
    configMap: (ns, name) => Promise.resolve(byKey.get(key('ConfigMap', ns, name))),
  };
}
