// Which cluster-id a Flink process runs with, and where it comes from. Standalone JobManagers and TaskManagers
// must agree, so a derived id comes from what they share (their `app` label, or the config ConfigMap they
// mount), never from a Deployment's own name, which differs between the two.
import type { KubeObject } from '../kube/objects.ts';
import { CLUSTER_ID, toClusterId } from './config-keys.ts';
import { configFileCarrier, containerCarrier } from './config-carriers.ts';
import { classify, mountedConfigMapName, podLabelsOf, isRecord } from './workload.ts';

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
 * The cluster-id of a JobManager-side object (FlinkDeployment, standalone or native JobManager controller), as far
 * as the object itself tells; for ClusterView implementations that list the Flink clusters of a namespace.
 * Operator-owned workloads return undefined: their FlinkDeployment stands for them.
 */
export function jobManagerClusterIdOf(obj: KubeObject, imagePatterns: RegExp[]): string | undefined {
  const c = classify(obj, imagePatterns);
  if (c.shape === 'flinkdeployment') return obj.metadata?.name;
  if (c.shape !== 'workload' || c.role !== 'jobmanager' || c.operatorOwned || c.controller === 'Pod') return undefined;
  const explicit = containerCarrier(c.container).get(CLUSTER_ID);
  if (explicit) return explicit;
  if (c.mode === 'native') return podLabelsOf(obj).app ?? obj.metadata?.name;
  return deriveClusterId(obj, mountedConfigMapName(c.podSpec, c.container));
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
