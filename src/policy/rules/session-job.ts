// A FlinkSessionJob has no HA settings of its own: it runs in a session cluster (spec.deploymentName) and survives a
// JobManager failure only if that FlinkDeployment runs with HA. Checked, never mutated (the cluster is where to fix it).
import { effectiveHaType, haKindOf } from '../../flink/config-keys.ts';
import { flinkConfigurationCarrier } from '../../flink/config-carriers.ts';
import { isRecord } from '../../flink/workload.ts';
import { finding, type Target } from '../target.ts';
import type { Finding } from '../types.ts';

export async function sessionClusterHa(t: Target): Promise<Finding[]> {
  if (t.classified.shape !== 'flink-session-job' || !t.draft || t.request.operation === 'DELETE') return [];
  const name = isRecord(t.draft.spec) && typeof t.draft.spec.deploymentName === 'string' ? t.draft.spec.deploymentName : '';
  const cluster = t.cluster.flinkDeployment ? await t.cluster.flinkDeployment(t.namespace, name) : undefined;
  if (cluster === undefined) {
    return [finding('ha-enabled', 'unchecked', `could not read the session cluster FlinkDeployment ${t.namespace}/${name} to check that it runs with HA`)];
  }
  if (cluster === null) {
    return [finding('ha-enabled', 'warned', `the session cluster FlinkDeployment ${t.namespace}/${name} does not exist: this job does not run until it does, and then only as safely as that cluster`,
      `create FlinkDeployment ${name} in ${t.namespace} with Kubernetes HA, or point spec.deploymentName at an existing session cluster`)];
  }
  const spec = isRecord(cluster.spec) ? cluster.spec : {};
  const ha = effectiveHaType((k) => flinkConfigurationCarrier(spec).get(k));
  const kind = ha ? haKindOf(ha.value) : 'none';
  if (kind === 'kubernetes' || kind === 'zookeeper' || kind === 'factory') {
    return [finding('ha-enabled', 'passed', `runs in session cluster ${name}, which has HA on (${ha!.key}: ${ha!.value})`)];
  }
  return [finding('ha-enabled', 'warned',
    `runs in session cluster ${name}, which has no HA: a JobManager failure there loses this job and its checkpoint pointers`,
    `enable Kubernetes HA on FlinkDeployment ${name} (this webhook adds it when ${name} is next applied)`)];
}
