// ha-storage-dir: a shared file system for job graphs and checkpoint metadata; the ConfigMaps only point there.
import { HA_STORAGE_DIR, effectiveHaType, haKindOf } from '../../flink/config-keys.ts';
import { finding, type Rule, type Target } from '../target.ts';

export const haStorageDir: Rule = {
  id: 'ha-storage-dir',
  title: 'HA storage directory is set',
  help: 'Set high-availability.storageDir to a shared file system (s3://, hdfs://, gs://, abfs://).',
  why: 'Flink HA refuses to start without a storage directory: job graphs and checkpoint metadata live there and the HA ConfigMaps only point at them.',
  mutate: (t) => {
    const f = t.flink;
    if (!f) return [];
    const ha = effectiveHaType((k) => f.carrier.get(k));
    const kind = ha ? haKindOf(ha.value) : undefined;
    if (kind === 'none' || kind === 'unknown') return []; // ha-enabled denies this object already
    const current = f.carrier.get(HA_STORAGE_DIR);
    if (current !== undefined && current.trim() !== '') return [finding('ha-storage-dir', 'passed', `${HA_STORAGE_DIR}: ${current}`)];
    if (!f.complete) return [finding('ha-storage-dir', 'unchecked', `${HA_STORAGE_DIR} not set here; ${f.incompleteReason ?? 'part of the config could not be read'}`)];
    const template = t.config.storageDirTemplate;
    if (!template) {
      return [finding('ha-storage-dir', 'denied',
        `${HA_STORAGE_DIR} is not set and no storageDirTemplate is configured, so the webhook will not invent one; HA cannot start without it`,
        `set ${HA_STORAGE_DIR} to a shared file system path (s3://, gs://, hdfs://, abfs://...) in ${f.carrier.where}, or configure storageDirTemplate`)];
    }
    const value = renderStorageDir(template, t);
    f.carrier.set(HA_STORAGE_DIR, value);
    return [finding('ha-storage-dir', 'mutated', `set ${HA_STORAGE_DIR}: ${value} in ${f.carrier.where} (from storageDirTemplate)`)];
  },
};

function renderStorageDir(template: string, t: Target): string {
  const clusterId = t.classified.shape === 'flinkdeployment' ? (t.draft?.metadata?.name ?? '') : (t.flink?.carrier.get('kubernetes.cluster-id') ?? '');
  return template.replaceAll('{namespace}', t.namespace).replaceAll('{clusterId}', clusterId);
}
