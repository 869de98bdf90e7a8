// Flink clusters that share a cluster-id in one namespace share (and overwrite) each other's HA ConfigMaps: leader
// election fights, and one cluster may recover the other's jobs from the other's checkpoints.
import type { FlinkWorkload } from '../flink-workloads.ts';
import { clusterRoots, findingAt, type Inventory } from '../inventory.ts';
import type { AuditFinding } from '../types.ts';

export function sharedClusterIds(inv: Inventory): AuditFinding[] {
  const groups = new Map<string, FlinkWorkload[]>();
  for (const root of clusterRoots(inv)) {
    const key = `${root.namespace}/${root.clusterId}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(root);
  }
  const out: AuditFinding[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    for (const w of group) {
      const others = group.filter((o) => o !== w).map((o) => `${o.kind}/${o.name}`).join(', ');
      out.push({
        rule: 'cluster-id',
        action: 'denied',
        message: `cluster-id '${w.clusterId}' is also used by ${others} in namespace ${w.namespace}: the clusters share and corrupt each other's HA state`,
        fix: `Give each Flink cluster its own kubernetes.cluster-id (for a FlinkDeployment: its own name)`,
        ...findingAt(inv, w.item, w.clusterId),
      });
    }
  }
  return out;
}
