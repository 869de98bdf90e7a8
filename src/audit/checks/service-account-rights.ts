// Flink workloads whose ServiceAccount cannot manage ConfigMaps (or does not exist): leader election and checkpoint
// pointers live in ConfigMaps, so such a cluster fails to start with HA or loses leadership on the first renewal.
import { findingAt, type Inventory } from '../inventory.ts';
import type { AuditFinding } from '../types.ts';
import { HA_CONFIGMAP_VERBS, onboardFix } from '../../flink/ha-rbac.ts';

export function serviceAccountRights(inv: Inventory): AuditFinding[] {
  const { serviceAccounts, serviceAccountRights: rights } = inv.facts;
  if (!inv.live) return [];
  const out: AuditFinding[] = [];
  for (const w of inv.workloads) {
    if (w.ownedByOperator || w.ownedByController || w.serviceAccount === undefined || w.role === 'session-job') continue;
    const key = `${w.namespace}/${w.serviceAccount}`;
    const at = findingAt(inv, w.item, w.clusterId);
    if (serviceAccounts !== undefined && !serviceAccounts.has(key)) {
      out.push({
        rule: 'ha-service-account',
        action: 'warned',
        message: `ServiceAccount ${w.serviceAccount} does not exist in namespace ${w.namespace}: the API server rejects this workload's pods`,
        fix: onboardFix(w.namespace, w.serviceAccount),
        ...at,
      });
    } else if (rights?.get(key) === false) {
      out.push({
        rule: 'ha-service-account',
        action: 'warned',
        message: `ServiceAccount ${w.serviceAccount} may not ${HA_CONFIGMAP_VERBS.join('/')} ConfigMaps in namespace ${w.namespace}: Flink's Kubernetes HA cannot elect a leader or store checkpoint pointers`,
        fix: onboardFix(w.namespace, w.serviceAccount),
        ...at,
      });
    }
  }
  return out;
}
