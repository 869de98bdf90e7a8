// HA state whose Flink cluster is gone: nothing in the namespace runs that cluster-id any more. It is not garbage:
// the next cluster started with that id picks it up and resumes the jobs it names from their latest checkpoints,
// which is what a restart needs and what surprises a new cluster that reuses the id. Say which jobs and checkpoints.
import { leftoverJobsOf } from '../../flink/ha-state-summary.ts';
import type { HaConfigMapEntry, Inventory } from '../inventory.ts';
import { findingAt } from '../inventory.ts';
import type { AuditFinding } from '../types.ts';

export function orphanedHaState(inv: Inventory): AuditFinding[] {
  // Without every workload kind listed, "no cluster runs this id" cannot be told from "could not see it".
  if (!inv.live || !inv.facts.workloadsComplete) return [];
  const alive = new Set(inv.workloads.filter((w) => w.clusterId !== undefined).map((w) => `${w.namespace}/${w.clusterId}`));
  const byCluster = new Map<string, HaConfigMapEntry[]>();
  for (const cm of inv.haConfigMaps) {
    if (!cm.clusterId) continue;
    const key = `${cm.namespace}/${cm.clusterId}`;
    if (alive.has(key)) continue;
    let list = byCluster.get(key);
    if (!list) byCluster.set(key, (list = []));
    list.push(cm);
  }
  const out: AuditFinding[] = [];
  for (const cms of byCluster.values()) {
    const first = cms[0]!;
    // What the cluster-id rule tells a new cluster it would resume (src/flink/ha-state-summary.ts), worded here.
    const leftover = leftoverJobsOf(first.clusterId, cms.map((c) => c.item.object));
    const names = cms.map((c) => c.name).sort();
    // Report on the cluster's main ConfigMap (it names the jobs), else on the first one.
    const anchor = cms.find((c) => c.name === `${first.clusterId}-cluster-config-map` || c.name === `${first.clusterId}-dispatcher-leader`) ?? first;
    const jobs = leftover.map((j) => (j.latestCheckpoint === undefined ? `job ${j.jobId} (no checkpoint)` : `job ${j.jobId} at checkpoint ${j.latestCheckpoint}`));
    out.push({
      rule: 'orphaned-ha-state',
      action: 'warned',
      message:
        `HA state of Flink cluster '${first.clusterId}' (${names.length} ConfigMaps: ${names.join(', ')}) has no running cluster in namespace ${first.namespace}; ` +
        `the next cluster started with cluster-id '${first.clusterId}' resumes ${jobs.length > 0 ? jobs.join(', ') : 'it (no jobs recorded)'}`,
      fix: `Start the cluster again to resume its jobs, or, if it is gone for good, delete its HA state: kubectl -n ${first.namespace} delete configmap -l type=flink-native-kubernetes,app=${first.clusterId} (as the operator or with the release annotation; Flink 2.x sets no configmap-type label)`,
      ...findingAt(inv, anchor.item, first.clusterId),
    });
  }
  return out;
}
