// Which Flink version a workload runs, from the operator's `spec.flinkVersion` (`v1_20`, `v2_2`) or the image tag
// (`flink:1.20.1-scala_2.12-java17`, `apache/flink:2.2`). It decides which config keys and file a write uses.

export interface FlinkVersion {
  major: number;
  minor: number;
}

export function parseOperatorFlinkVersion(value: unknown): FlinkVersion | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^v(\d+)_(\d+)$/.exec(value);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function versionFromImage(image: unknown): FlinkVersion | undefined {
  if (typeof image !== 'string') return undefined;
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || ref.slice(colon).includes('/')) return undefined;
  const m = /^(\d+)\.(\d+)/.exec(ref.slice(colon + 1));
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function atLeast(v: FlinkVersion | undefined, major: number, minor: number): boolean {
  if (!v) return false;
  return v.major > major || (v.major === major && v.minor >= minor);
}

/**
 * The key Kubernetes HA is switched on with. `high-availability.type` (value `kubernetes`) is read by Flink 1.17+
 * and is what current docs show; older Flink reads `high-availability`, where the factory class name works in every
 * release since 1.12. Unknown versions get the current key (new clusters run current Flink), except in a legacy
 * `flink-conf.yaml`, which only Flink 1.x reads: there the old key with the class name works in every 1.x release.
 */
export function haTypeWrite(v: FlinkVersion | undefined, legacyConfFile = false): { key: string; value: string } {
  if ((v && !atLeast(v, 1, 17)) || (!v && legacyConfFile)) {
    return { key: 'high-availability', value: 'org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory' };
  }
  return { key: 'high-availability.type', value: 'kubernetes' };
}

/**
 * The keys of the checkpoint and savepoint directories. Flink 1.20 renamed them (FLIP-406:
 * `execution.checkpointing.dir`, `execution.checkpointing.savepoint-dir`) and kept the old ones as deprecated
 * fallbacks, which Flink 2.x still reads; before 1.20 only the old keys exist. The operator's own validator reads
 * either (a ConfigOption with its deprecated key). Unknown versions get the current key, as haTypeWrite does.
 */
export const CHECKPOINT_DIR_KEYS = ['execution.checkpointing.dir', 'state.checkpoints.dir'] as const;
export const SAVEPOINT_DIR_KEYS = ['execution.checkpointing.savepoint-dir', 'state.savepoints.dir'] as const;

export function checkpointDirKey(v: FlinkVersion | undefined, which: 'checkpoint' | 'savepoint'): string {
  const keys = which === 'checkpoint' ? CHECKPOINT_DIR_KEYS : SAVEPOINT_DIR_KEYS;
  return v && !atLeast(v, 1, 20) ? keys[1] : keys[0];
}
