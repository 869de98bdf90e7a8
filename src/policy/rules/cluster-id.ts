// cluster-id: every standalone/native Flink process of one cluster runs with the same valid kubernetes.cluster-id,
// and no two Flink clusters of a namespace share one (they would share, and corrupt, each other's HA ConfigMaps).
import { CLUSTER_ID, CLUSTER_ID_MAX_LENGTH, isValidClusterId } from '../../flink/config-keys.ts';
import { deriveClusterId, derivedClusterId, isJobManagerSide } from '../../flink/cluster-id.ts';
import { finding, type Rule, type Target } from '../target.ts';
import type { Finding } from '../types.ts';

const FORMAT = `at most ${CLUSTER_ID_MAX_LENGTH} characters of [a-z]([-a-z0-9]*[a-z0-9])`;

export const clusterId: Rule = {
  id: 'cluster-id',
  title: 'Cluster-id is valid and unique in its namespace',
  help: 'Give every Flink cluster of a namespace its own kubernetes.cluster-id, the same for all of its processes.',
  why: 'The cluster-id names the HA ConfigMaps: processes that disagree never find their leader, and two clusters with one id overwrite each other\'s HA state.',
  mutate: (t) => {
    const f = t.flink;
    if (!f) return [];
    if (t.classified.shape === 'flinkdeployment') {
      // The operator sets kubernetes.cluster-id to metadata.name itself and forbids it in the CR.
      return [];
    }
    const current = f.carrier.get(CLUSTER_ID);
    if (current !== undefined) {
      return isValidClusterId(current)
        ? [finding('cluster-id', 'passed', `${CLUSTER_ID}: ${current}`)]
        : [finding('cluster-id', 'denied', `${CLUSTER_ID}: '${current}' (${f.whereOf(CLUSTER_ID) ?? f.carrier.where}) is not a valid cluster-id (${FORMAT}); Flink names its HA ConfigMaps and Services after it`,
            `set ${CLUSTER_ID} to ${FORMAT}`)];
    }
    if (!f.complete) return [finding('cluster-id', 'unchecked', `${CLUSTER_ID} not set here; ${f.incompleteReason ?? 'part of the config could not be read'}`)];
    const derived = deriveClusterId(t.draft!, f.mountedConfigMap);
    if (!derived) {
      return [finding('cluster-id', 'denied', `${CLUSTER_ID} is not set and cannot be derived (no usable app label or config ConfigMap name); without it the HA ConfigMaps have no stable name`,
        `set ${CLUSTER_ID} in ${f.carrier.where}, or give the JobManager and TaskManager pods a shared app label`)];
    }
    f.carrier.set(CLUSTER_ID, derived);
    return [finding('cluster-id', 'mutated', `set ${CLUSTER_ID}: ${derived} in ${f.carrier.where} (derived from what the cluster's JobManager and TaskManagers share)`)];
  },
  validate: async (t) => uniqueness(t),
};

async function uniqueness(t: Target): Promise<Finding[]> {
  const c = t.classified;
  if (!isJobManagerSide(c) || !t.draft || t.request.operation === 'DELETE') return [];
  const id = c.shape === 'flinkdeployment' ? t.draft.metadata?.name : t.flink?.carrier.get(CLUSTER_ID) ?? (t.flink ? derivedClusterId(t.draft, c, t.flink.mountedConfigMap) : undefined);
  if (!id) return [];
  if (c.shape === 'flinkdeployment' && !isValidClusterId(id)) {
    return [finding('cluster-id', 'denied', `FlinkDeployment name '${id}' is not a valid cluster-id (${FORMAT}); the operator uses the name as the cluster-id`, 'rename the FlinkDeployment')];
  }
  const self = `${t.draft.kind}/${t.draft.metadata?.name ?? ''}`;
  const clusters = await t.cluster.flinkClusterIds(t.namespace);
  // Without the full list, a duplicate among the clusters known (a manifest set) is still a fact; uniqueness is not.
  const known = clusters ?? (await t.cluster.knownFlinkClusterIds?.(t.namespace)) ?? [];
  const others = known.filter((e) => e.clusterId === id && e.owner !== self);
  if (others.length === 0 && clusters === undefined) {
    return [finding('cluster-id', 'unchecked', `could not list the Flink clusters of namespace ${t.namespace} to check that cluster-id ${id} is unique`)];
  }
  if (others.length === 0) return [finding('cluster-id', 'passed', `cluster-id ${id} is unique in namespace ${t.namespace}`)];
  return [finding('cluster-id', 'denied',
    `cluster-id ${id} is already used by ${others.map((o) => o.owner).join(', ')} in namespace ${t.namespace}; the two clusters would share and corrupt each other's HA ConfigMaps`,
    `give this cluster its own ${CLUSTER_ID} (or app label), or delete the other cluster first`)];
}
