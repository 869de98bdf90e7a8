// The policy's ClusterView for a live audit, answered from the listed inventory: no API call per object, so an
// audit of thousands of objects costs the listing and nothing more. Unknowns stay `undefined` ("could not check").
import type { ClusterView } from '../policy/types.ts';
import { clusterRoots, type Inventory } from './inventory.ts';

export function inventoryClusterView(inv: Inventory): ClusterView {
  const namespaces = inv.extras.namespaces ? new Map(inv.extras.namespaces.map((n) => [n.metadata?.name ?? '', n])) : undefined;
  const clusterIds = new Map<string, Array<{ clusterId: string; owner: string }>>();
  for (const root of clusterRoots(inv)) {
    let list = clusterIds.get(root.namespace);
    if (!list) clusterIds.set(root.namespace, (list = []));
    list.push({ clusterId: root.clusterId!, owner: `${root.kind}/${root.name}` });
  }
  const haNamespaces = new Set(inv.haConfigMaps.map((c) => c.namespace));
  const { serviceAccounts, serviceAccountRights } = inv.extras;
  return {
    namespaceMeta: (ns) => {
      if (!namespaces) return Promise.resolve(undefined);
      const n = namespaces.get(ns);
      return Promise.resolve(n ? { labels: n.metadata?.labels ?? {}, annotations: n.metadata?.annotations ?? {} } : undefined);
    },
    serviceAccountExists: (ns, name) => Promise.resolve(serviceAccounts ? serviceAccounts.has(`${ns}/${name}`) : undefined),
    serviceAccountCanManageConfigMaps: (ns, name) => Promise.resolve(serviceAccountRights?.get(`${ns}/${name}`)),
    flinkClusterIds: (ns) => Promise.resolve(inv.extras.workloadsComplete ? (clusterIds.get(ns) ?? []) : undefined),
    namespaceHoldsHaState: (ns) => Promise.resolve(inv.extras.workloadsComplete || haNamespaces.has(ns) ? haNamespaces.has(ns) : undefined),
  };
}
