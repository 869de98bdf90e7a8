// Flink clusters that run standby JobManagers but keep no HA state: without Kubernetes HA a standby never learns
// it should take over, so the extra JobManagers cost resources and protect nothing (or HA is on, but broken).
import { clusterRoots, findingAt, type Inventory } from '../inventory.ts';
import type { AuditFinding } from '../types.ts';

export function standbyWithoutHaState(inv: Inventory): AuditFinding[] {
  if (!inv.live) return [];
  const withState = new Set(inv.haConfigMaps.map((c) => `${c.namespace}/${c.clusterId}`));
  const out: AuditFinding[] = [];
  for (const root of clusterRoots(inv)) {
    if ((root.jobManagers ?? 1) < 2 || withState.has(`${root.namespace}/${root.clusterId}`)) continue;
    out.push({
      rule: 'standby-without-ha-state',
      action: 'warned',
      message: `Flink cluster '${root.clusterId}' runs ${root.jobManagers} JobManagers but has no HA ConfigMaps: the standbys cannot take over (HA is off, or it cannot write its ConfigMaps)`,
      fix: 'Enable Kubernetes HA (high-availability.type: kubernetes, a storageDir) and check that its ServiceAccount may manage ConfigMaps; or run one JobManager',
      ...findingAt(inv, root.item, root.clusterId),
    });
  }
  return out;
}
