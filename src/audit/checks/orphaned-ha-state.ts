// HA state whose Flink cluster is gone: nothing in the namespace runs that cluster-id any more. It is not garbage:
// the next cluster started with that id picks it up and resumes the jobs it names from their latest checkpoints,
// which is what a restart needs and what surprises a new cluster that reuses the id. Say which jobs and checkpoints.
import type { HaConfigMapEntry, Inventory } from '../inventory.ts';
import { findingAt } from '../inventory.ts';
import type { AuditFinding } from '../types.ts';

const JOB_ID = '[0-9a-f]{32}';
const JOB_KEY = new RegExp(`^(?:jobGraph|executionPlan|runningJobsRegistry)-(${JOB_ID})$`);

export interface HaStateSummary {
  configMaps: string[];
  /** job id → highest checkpoint id found for it (undefined: a job graph, no checkpoint yet). */
  jobs: Map<string, number | undefined>;
}

/** What the HA ConfigMaps of one cluster point at: which jobs, and each job's latest checkpoint. */
export function summarizeHaState(clusterId: string, configMaps: HaConfigMapEntry[]): HaStateSummary {
  const jobs = new Map<string, number | undefined>();
  const jobConfigMap = new RegExp(`^${escape(clusterId)}-(${JOB_ID})-(config-map|jobmanager-leader)$`);
  for (const cm of configMaps) {
    const data = (cm.item.object.data ?? {}) as Record<string, unknown>;
    const jobFromName = jobConfigMap.exec(cm.name)?.[1];
    if (jobFromName !== undefined && !jobs.has(jobFromName)) jobs.set(jobFromName, undefined);
    for (const key of Object.keys(data)) {
      const graph = JOB_KEY.exec(key);
      if (graph && !jobs.has(graph[1]!)) jobs.set(graph[1]!, undefined);
      const checkpoint = /^checkpointID-(\d+)$/.exec(key);
      if (checkpoint && jobFromName !== undefined) {
        const id = Number(checkpoint[1]);
        jobs.set(jobFromName, Math.max(jobs.get(jobFromName) ?? -1, id));
      }
    }
  }
  return { configMaps: configMaps.map((c) => c.name).sort(), jobs };
}

export function orphanedHaState(inv: Inventory): AuditFinding[] {
  // Without every workload kind listed, "no cluster runs this id" cannot be told from "could not see it".
  if (!inv.live || !inv.extras.workloadsComplete) return [];
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
    const state = summarizeHaState(first.clusterId, cms);
    // Report on the cluster's main ConfigMap (it names the jobs), else on the first one.
    const anchor = cms.find((c) => c.name === `${first.clusterId}-cluster-config-map` || c.name === `${first.clusterId}-dispatcher-leader`) ?? first;
    const jobs = [...state.jobs].map(([job, cp]) => (cp === undefined ? `job ${job} (no checkpoint)` : `job ${job} at checkpoint ${cp}`));
    out.push({
      rule: 'orphaned-ha-state',
      action: 'warned',
      message:
        `HA state of Flink cluster '${first.clusterId}' (${state.configMaps.length} ConfigMaps: ${state.configMaps.join(', ')}) has no running cluster in namespace ${first.namespace}; ` +
        `the next cluster started with cluster-id '${first.clusterId}' resumes ${jobs.length > 0 ? jobs.join(', ') : 'it (no jobs recorded)'}`,
      fix: `Start the cluster again to resume its jobs, or, if it is gone for good, delete its HA state: kubectl -n ${first.namespace} delete configmap -l type=flink-native-kubernetes,app=${first.clusterId} (as the operator or with the release annotation; Flink 2.x sets no configmap-type label)`,
      ...findingAt(inv, anchor.item, first.clusterId),
    });
  }
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
