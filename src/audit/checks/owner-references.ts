// HA ConfigMaps that already carry an ownerReference: the garbage collector deletes them with their owner, and with
// them the leader addresses, job graphs and checkpoint pointers a restarted cluster needs to resume its jobs.
import type { Inventory } from '../inventory.ts';
import { findingAt } from '../inventory.ts';
import type { AuditFinding } from '../types.ts';

export function haConfigMapsWithOwners(inv: Inventory): AuditFinding[] {
  const out: AuditFinding[] = [];
  for (const cm of inv.haConfigMaps) {
    const owners = cm.item.object.metadata?.ownerReferences ?? [];
    if (owners.length === 0) continue;
    const names = owners.map((o) => `${o.kind}/${o.name}`).join(', ');
    out.push({
      rule: 'no-owner-reference',
      action: 'denied',
      message: `HA ConfigMap of Flink cluster '${cm.clusterId}' is owned by ${names}: it will be garbage-collected with its owner, and the cluster loses its job graphs and checkpoint pointers`,
      fix: `Remove the ownerReference: kubectl -n ${cm.namespace} patch configmap ${cm.name} --type=json -p '[{"op":"remove","path":"/metadata/ownerReferences"}]'`,
      ...findingAt(inv, cm.item, cm.clusterId || undefined),
    });
  }
  return out;
}
