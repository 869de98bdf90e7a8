// The Flink configuration keys the HA policy reads and writes, and how Flink interprets their values.
// Sources: ../shared/FLINK-HA-FACTS.md sections 1.1-1.8.

/** HA mode keys in the order Flink's deprecated-key fallback reads them: the first one present wins. */
export const HA_TYPE_KEYS = ['high-availability.type', 'high-availability', 'recovery.mode'] as const;
export const HA_STORAGE_DIR = 'high-availability.storageDir';
export const CLUSTER_ID = 'kubernetes.cluster-id';
export const K8S_NAMESPACE = 'kubernetes.namespace';
export const NATIVE_JM_REPLICAS = 'kubernetes.jobmanager.replicas';

export const K8S_HA_FACTORY = 'org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory';

/** Cluster-id format from KubernetesConfigOptions.CLUSTER_ID: at most 45 chars of `[a-z]([-a-z0-9]*[a-z0-9])`. */
export const CLUSTER_ID_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const CLUSTER_ID_MAX_LENGTH = 45;

/** `unknown`: no HA type Flink knows and no class name either; Flink fails to start looking for that factory. */
export type HaKind = 'kubernetes' | 'zookeeper' | 'factory' | 'none' | 'unknown';

/** How Flink reads an HA mode value (trimmed, case-insensitive; an FQN names a factory class). */
export function haKindOf(value: string): HaKind {
  const v = value.trim().toLowerCase();
  if (v === 'kubernetes' || v === K8S_HA_FACTORY.toLowerCase()) return 'kubernetes';
  if (v === 'zookeeper') return 'zookeeper';
  if (v === '' || v === 'none') return 'none';
  return v.includes('.') ? 'factory' : 'unknown';
}

/** The effective HA mode: the first HA key present, as Flink's fallback keys work. */
export function effectiveHaType(get: (key: string) => string | undefined): { key: string; value: string } | undefined {
  for (const key of HA_TYPE_KEYS) {
    const value = get(key);
    if (value !== undefined) return { key, value };
  }
  return undefined;
}

export function isValidClusterId(id: string): boolean {
  return id.length <= CLUSTER_ID_MAX_LENGTH && CLUSTER_ID_PATTERN.test(id);
}

/** Turns a label or object name into a valid cluster-id, or undefined when nothing usable is left. */
export function toClusterId(name: string): string | undefined {
  let id = name.toLowerCase().replace(/[^-a-z0-9]+/g, '-');
  id = id.replace(/^[^a-z]+/, '').slice(0, CLUSTER_ID_MAX_LENGTH).replace(/-+$/, '');
  return id && isValidClusterId(id) ? id : undefined;
}
