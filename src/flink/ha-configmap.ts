// Recognises the ConfigMaps where Flink's Kubernetes HA keeps leader addresses, job graphs and checkpoint
// pointers. First signal: the labels Flink puts on every one; second: the name patterns plus app/type labels.
import type { KubeObject } from '../kube/objects.ts';

export const HA_LABELS = {
  type: 'flink-native-kubernetes',
  configmapType: 'high-availability',
} as const;

/** Flink 1.15+ and the 1.12-1.14 (or use-old-ha-services) layouts. */
const HA_NAME_SUFFIXES = [
  '-cluster-config-map',
  '-config-map',
  '-dispatcher-leader',
  '-resourcemanager-leader',
  '-restserver-leader',
  '-jobmanager-leader',
];

/** Data keys that hold HA state (losing them loses recovery). */
export const HA_DATA_KEY_PATTERNS: RegExp[] = [
  /^address$/,
  /^sessionId$/,
  /^counter$/,
  /^checkpointID-\d+$/,
  /^jobGraph-/,
  /^executionPlan-/,
  /^runningJobsRegistry-/,
  /^org\.apache\.flink\.k8s\.leader\./,
];

export function isHaDataKey(key: string): boolean {
  return HA_DATA_KEY_PATTERNS.some((p) => p.test(key));
}

/** Is this ConfigMap an HA ConfigMap of a Flink cluster? Returns the cluster-id when it is. */
export function haConfigMapClusterId(obj: KubeObject | null | undefined): string | undefined {
  if (!obj || obj.kind !== 'ConfigMap') return undefined;
  const labels = obj.metadata?.labels ?? {};
  const app = labels.app;
  if (labels['configmap-type'] === HA_LABELS.configmapType && labels.type === HA_LABELS.type) {
    return app ?? clusterIdFromName(obj.metadata?.name) ?? '';
  }
  // Second signal: an HA name pattern whose prefix is the app label, on a Flink-native ConfigMap.
  const name = obj.metadata?.name ?? '';
  if (app && labels.type === HA_LABELS.type && name.startsWith(`${app}-`) && HA_NAME_SUFFIXES.some((s) => name.endsWith(s))) {
    return app;
  }
  return undefined;
}

export function isHaConfigMap(obj: KubeObject | null | undefined): boolean {
  return haConfigMapClusterId(obj) !== undefined;
}

function clusterIdFromName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  for (const suffix of ['-cluster-config-map', '-dispatcher-leader', '-resourcemanager-leader', '-restserver-leader']) {
    if (name.endsWith(suffix)) return name.slice(0, -suffix.length);
  }
  return undefined;
}
