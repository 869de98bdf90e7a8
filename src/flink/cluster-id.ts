// Which cluster-id a Flink process runs with, and where it comes from. Standalone JobManagers and TaskManagers
// must agree, so a derived id comes from what they share (their `app` label, or the config ConfigMap they
// mount), never from a Deployment's own name, which differs between the two.
import type { KubeObject } from '../kube/objects.ts';
import { CLUSTER_ID, toClusterId } from './config-keys.ts';
import { configFileCarrier, containerCarrier } from './config-carriers.ts';
import { mountedConfigMapName, podLabelsOf, isRecord, type Classified } from './workload.ts';

/** The id a new cluster should get when none is set: app label, else mounted ConfigMap / ConfigMap name. */
export function deriveClusterId(obj: KubeObject, mountedConfigMap?: string): string | undefined {
  const labels = obj.kind === 'ConfigMap' ? (obj.metadata?.labels ?? {}) : podLabelsOf(obj);
  if (labels.app) {
    const fromApp = toClusterId(labels.app);
    if (fromApp) return fromApp;
  }
  if (obj.kind === 'ConfigMap') {
    const name = obj.metadata?.name ?? '';
    return toClusterId(name.startsWith('flink-config-') ? name.slice('flink-config-'.length) : name);
  }
  return mountedConfigMap ? toClusterId(mountedConfigMap) : undefined;
}

/**
 * The id the webhook derives when none is set. Native and operator-run processes: the `app` label the Flink client
 * (or the operator) sets to the cluster-id, else the JobManager Deployment's name, which is the cluster-id. Standalone:
 * what the cluster's processes share (deriveClusterId).
 */
export function derivedClusterId(obj: KubeObject, c: Classified, mountedConfigMap?: string): string | undefined {
  if (c.shape === 'workload' && c.mode !== 'standalone') {
    const app = podLabelsOf(obj).app;
    return (app ? toClusterId(app) : undefined) ?? (c.controller !== 'Pod' ? toClusterId(obj.metadata?.name ?? '') : undefined);
  }
  return deriveClusterId(obj, mountedConfigMap);
}

/**
 * The one answer to "which cluster-id does this object run with?", used by the policy's views, the audit and the
 * webhook's cluster listing alike. As Flink reads it: `-D` args and FLINK_PROPERTIES, then the mounted config file
 * (`mounted`, when the caller could read it), else what the webhook would derive. A FlinkDeployment's is its name
 * (the operator sets it), a FlinkSessionJob's its session cluster's, a Flink config ConfigMap's what it says.
 */
export function clusterIdOf(obj: KubeObject, c: Classified, mounted?: KubeObject | null): string | undefined {
  if (c.shape === 'flinkdeployment') return obj.metadata?.name;
  if (c.shape === 'flink-session-job') return isRecord(obj.spec) && typeof obj.spec.deploymentName === 'string' ? obj.spec.deploymentName : undefined;
  if (c.shape === 'flink-config') return configMapClusterId(obj) ?? deriveClusterId(obj);
  if (c.shape !== 'workload') return undefined;
  const explicit = containerCarrier(c.container).get(CLUSTER_ID);
  if (explicit) return explicit;
  const fromFile = mounted ? configMapClusterId(mounted) : undefined;
  return fromFile ?? derivedClusterId(obj, c, mountedConfigMapName(c.podSpec, c.container));
}

/**
 * A JobManager side stands for one Flink cluster: a FlinkDeployment, or a JobManager controller nobody derived. A
 * FlinkBlueGreenDeployment is none: the blue and green FlinkDeployments the operator derives from it are.
 */
export function isJobManagerSide(c: Classified): boolean {
  return (c.shape === 'flinkdeployment' && !c.blueGreen) || (c.shape === 'workload' && c.role === 'jobmanager' && c.controller !== 'Pod' && !c.operatorOwned);
}

/**
 * Does this object stand for a Flink cluster in a namespace's listing of cluster-ids? Every JobManager side, and a
 * JobManager controller with the operator's marks unless it is owned by a FlinkDeployment of the listing and named
 * after it (as the operator names its JobManager; uids compared when both are known): a mark anyone can write must
 * not hide a running cluster from the uniqueness check. `flinkDeploymentUid(name)`: undefined when there is none.
 */
export function listedAsCluster(obj: KubeObject, c: Classified, flinkDeploymentUid: (name: string) => { uid?: string } | undefined): boolean {
  if (isJobManagerSide(c)) return true;
  if (c.shape !== 'workload' || c.role !== 'jobmanager' || c.controller === 'Pod' || !c.operatorOwned) return false;
  const refs: unknown = obj.metadata?.ownerReferences;
  const ownedByItsFlinkDeployment = Array.isArray(refs) && refs.some((r) => {
    if (!isRecord(r) || r.kind !== 'FlinkDeployment' || r.name !== obj.metadata?.name || typeof r.name !== 'string') return false;
    const fd = flinkDeploymentUid(r.name);
    return fd !== undefined && (fd.uid === undefined || fd.uid === r.uid);
  });
  return !ownedByItsFlinkDeployment;
}

/** The cluster-id written in a Flink config ConfigMap, if any. */
export function configMapClusterId(cm: KubeObject): string | undefined {
  const data = isRecord(cm.data) ? (cm.data as Record<string, string>) : {};
  for (const key of ['flink-conf.yaml', 'config.yaml'] as const) {
    if (typeof data[key] !== 'string') continue;
    try {
      const id = configFileCarrier({ ...data }, key, cm.metadata?.name ?? '').get(CLUSTER_ID);
      if (id) return id;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
