// A FlinkDeployment whose job upgrades statelessly and runs with HA meets an operator bug: recovering a lost or
// unhealthy JobManager, the operator restores such a job as last-state and fails when the HA metadata is missing
// (FLINK-38049), which every stateless upgrade or suspend deletes. Said where HA is added or found on one.
import { flinkSpecOf, isRecord } from '../../flink/workload.ts';
import { finding, type Target } from '../target.ts';
import type { Finding } from '../types.ts';

/** True for an application FlinkDeployment (or blue/green template) whose job runs with upgradeMode stateless (the default). */
export function statelessApplication(t: Target): boolean {
  const fd = t.draft ? flinkSpecOf(t.draft, t.classified) : undefined;
  if (!fd || !isRecord(fd.spec.job)) return false;
  const mode = fd.spec.job.upgradeMode;
  return mode === undefined || mode === 'stateless';
}

export function statelessWithHa(t: Target): Finding[] {
  if (!statelessApplication(t)) return [];
  return [finding('ha-enabled', 'warned',
    'the job runs with upgradeMode: stateless (the default) and HA: when the operator recovers a lost or unhealthy JobManager it restores the job as last-state and fails if the HA metadata is gone (FLINK-38049), as it is after every stateless upgrade or suspend; the job then needs a manual restart',
    'set spec.job.upgradeMode: last-state (or savepoint) for a job whose state matters (the webhook adds the checkpoint dir from checkpointDirTemplate), or exempt this stateless job if it needs no HA')];
}
