// cluster-id: every standalone/native Flink process of one cluster runs with the same valid kubernetes.cluster-id,
// and no two Flink clusters of a namespace share one (they would share, and corrupt, each other's HA ConfigMaps);
// a new cluster over leftover HA state of its id is warned about (FLINK-30004).
import { CLUSTER_ID, CLUSTER_ID_MAX_LENGTH, isValidClusterId } from '../../flink/config-keys.ts';
import { clusterIdOf, deriveClusterId, derivedClusterId, isJobManagerSide } from '../../flink/cluster-id.ts';
import { describeLeftoverJob, leftoverJobsOf } from '../../flink/ha-state-summary.ts';
import { mountedConfigMapName } from '../../flink/workload.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { proveOperatorMade } from '../operator-made.ts';
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
  if (!t.draft || t.request.operation === 'DELETE') return [];
  // An operator-made JobManager is its FlinkDeployment's (checked there); the operator's marks are only a claim.
  const marked = c.shape === 'workload' && c.operatorOwned && c.role === 'jobmanager' && c.controller !== 'Pod';
  if (!marked && !isJobManagerSide(c)) return [];
  const id = await clusterIdFor(t);
  if (!id) return [];
  let unproven = '';
  if (marked) {
    const proof = await proveOperatorMade(t);
    if (proof.proven && (proof.flinkDeployment === undefined || proof.flinkDeployment === id)) return [];
    const why = proof.proven ? `it runs cluster-id ${id}, not its FlinkDeployment's ${proof.flinkDeployment}` : proof.why;
    unproven = ` (it carries the operator's marks, which prove nothing: ${why})`;
  }
  if (c.shape === 'flinkdeployment' && !isValidClusterId(id)) {
    return [finding('cluster-id', 'denied', `FlinkDeployment name '${id}' is not a valid cluster-id (${FORMAT}); the operator uses the name as the cluster-id`, 'rename the FlinkDeployment')];
  }
  const self = `${t.draft.kind}/${t.draft.metadata?.name ?? ''}`;
  const clusters = await t.cluster.flinkClusterIds(t.namespace);
  // Without the full list, a duplicate among the clusters known (a manifest set) is still a fact; uniqueness is not.
  const known = clusters ?? (await t.cluster.knownFlinkClusterIds?.(t.namespace)) ?? [];
  const others = known.filter((e) => e.clusterId === id && e.owner !== self);
  if (others.length > 0) {
    return [finding('cluster-id', 'denied',
      `cluster-id ${id} is already used by ${others.map((o) => o.owner).join(', ')} in namespace ${t.namespace}${unproven}; the two clusters would share and corrupt each other's HA ConfigMaps`,
      `give this cluster its own ${CLUSTER_ID} (or app label), or delete the other cluster first`)];
  }
  const leftover = await leftoverState(t, id);
  if (clusters === undefined) {
    // One "could not check" for the two questions a manifest set cannot answer, not two.
    const alsoUnread = leftover.length === 1 && leftover[0]!.action === 'unchecked';
    return [finding('cluster-id', 'unchecked', `could not list the Flink clusters of namespace ${t.namespace} to check that cluster-id ${id} is unique${alsoUnread ? ', nor read its HA ConfigMaps to check for leftover HA state (FLINK-30004)' : ''}${unproven}`),
      ...(alsoUnread ? [] : leftover)];
  }
  return [finding('cluster-id', 'passed', `cluster-id ${id} is unique in namespace ${t.namespace}${unproven}`), ...leftover];
}

/** The cluster-id this JobManager side runs with, read as Flink reads it. */
async function clusterIdFor(t: Target): Promise<string | undefined> {
  const c = t.classified;
  const obj = t.draft!;
  if (c.shape === 'flinkdeployment') return obj.metadata?.name;
  if (t.flink) return t.flink.carrier.get(CLUSTER_ID) ?? derivedClusterId(obj, c, t.flink.mountedConfigMap);
  // An unproven operator-marked JobManager has no config view (the marks kept the mutations away): read it here.
  const mounted = c.shape === 'workload' ? mountedConfigMapName(c.podSpec, c.container) : undefined;
  return clusterIdOf(obj, c, mounted ? await t.cluster.configMap?.(t.namespace, mounted) : undefined);
}

/**
 * FLINK-30004: a new cluster whose cluster-id already has HA state resumes the job graphs and checkpoints in it.
 * Admitted with a warning, not refused: a JobManager deleted and recreated resumes from its HA ConfigMaps, which
 * is what HA is for, and nothing tells that apart from a mistake. (A live other cluster with the id is denied above.)
 */
async function leftoverState(t: Target, id: string): Promise<Finding[]> {
  if (t.request.operation !== 'CREATE') return [];
  // Only warned on (never allows a write): a watched answer a moment behind is good enough.
  const configMaps = await t.cluster.haConfigMapsOf?.(t.namespace, id, 'warning');
  if (configMaps === undefined) {
    return [finding('cluster-id', 'unchecked', `could not read the HA ConfigMaps of cluster-id ${id} in namespace ${t.namespace} to check for leftover HA state (FLINK-30004)`)];
  }
  // Ones written since the object was created are its own (an audit of a running cluster); older ones are leftovers.
  const born = createdAt(t.draft);
  const leftover = configMaps.filter((cm) => born === undefined || (createdAt(cm) ?? -Infinity) < born);
  if (leftover.length === 0) return [];
  const jobs = leftoverJobsOf(id, leftover);
  const names = leftover.map((cm) => cm.metadata?.name ?? '?').sort();
  // Most telling first: the API server cuts long admission warnings.
  return [finding('cluster-id', 'warned',
    `cluster-id ${id} already has HA state older than this ${t.draft?.kind ?? 'object'} (FLINK-30004), which it resumes: ` +
      `${jobs.length > 0 ? jobs.map(describeLeftoverJob).join(', ') : 'no job'}; in ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`,
    `if this cluster is meant to resume that state (a recreated JobManager), nothing to do; otherwise give it another ${CLUSTER_ID}, or annotate the leftover HA ConfigMaps ${t.config.releaseAnnotation}=<reason> and delete them first`)];
}

function createdAt(obj: KubeObject | null): number | undefined {
  const ts: unknown = obj?.metadata?.creationTimestamp;
  const ms = ts instanceof Date ? ts.getTime() : typeof ts === 'string' ? Date.parse(ts) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}
