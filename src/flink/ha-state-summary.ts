// What a cluster-id's HA ConfigMaps would make a new cluster with that id resume (FLINK-30004): the jobs they hold
// and the latest checkpoint of each, read from the keys Flink writes (job graphs, checkpointID-<n>, counter).
import type { KubeObject } from '../kube/objects.ts';
import { isRecord } from './workload.ts';

export interface LeftoverJob {
  jobId: string;
  /** The highest checkpointID-<n> of the job's ConfigMap: the checkpoint a new cluster would restore. */
  latestCheckpoint?: number;
  /** The job's checkpoint id counter, when it has no retained checkpoint. */
  counter?: string;
}

const JOB_CONFIG_MAP = /-([0-9a-f]{32})-(config-map|jobmanager-leader)$/;
const JOB_GRAPH_KEY = /^(jobGraph|executionPlan)-([0-9a-f]{32})$/;
const CHECKPOINT_KEY = /^checkpointID-(\d+)$/;

/** The jobs of these HA ConfigMaps (one cluster-id's), sorted by job id. */
export function leftoverJobsOf(clusterId: string, configMaps: KubeObject[]): LeftoverJob[] {
  const jobs = new Map<string, LeftoverJob>();
  const job = (jobId: string): LeftoverJob => jobs.get(jobId) ?? (jobs.set(jobId, { jobId }), jobs.get(jobId)!);
  for (const cm of configMaps) {
    const name = typeof cm.metadata?.name === 'string' ? cm.metadata.name : '';
    const data = isRecord(cm.data) ? cm.data : {};
    const own = name.startsWith(`${clusterId}-`) ? JOB_CONFIG_MAP.exec(name) : null;
    for (const key of Object.keys(data)) {
      const graph = JOB_GRAPH_KEY.exec(key);
      if (graph) job(graph[2]!);
    }
    if (!own) continue;
    const j = job(own[1]!);
    for (const key of Object.keys(data)) {
      const n = CHECKPOINT_KEY.exec(key);
      if (n) j.latestCheckpoint = Math.max(j.latestCheckpoint ?? 0, Number(n[1]));
    }
    if (j.latestCheckpoint === undefined && typeof data.counter === 'string') j.counter = data.counter;
  }
  return [...jobs.values()].sort((a, b) => a.jobId.localeCompare(b.jobId));
}

/** `job <id> (latest checkpoint 42)`, for messages. */
export function describeLeftoverJob(j: LeftoverJob): string {
  const where = j.latestCheckpoint !== undefined
    ? `latest checkpoint ${j.latestCheckpoint}`
    : j.counter !== undefined ? `no retained checkpoint, checkpoint counter ${j.counter}` : 'no checkpoint';
  return `job ${j.jobId} (${where})`;
}
