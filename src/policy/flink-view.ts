// Builds the view of a target's effective Flink configuration: which carriers it is read from (highest precedence
// first), where writes go, and whether part of it lives somewhere the policy could not read.
import type { KubeObject } from '../kube/objects.ts';
import { configFileCarrier, containerCarrier, flinkConfigurationCarrier, layeredCarrier, type ConfigCarrier } from '../flink/config-carriers.ts';
import { parseOperatorFlinkVersion, versionFromImage } from '../flink/version.ts';
import { FLINK_ENTRYPOINTS, flinkSpecOf, isRecord, mountedConfigMapName, type Classified } from '../flink/workload.ts';
import type { FlinkConfigView } from './target.ts';
import type { ClusterView } from './types.ts';

export async function flinkViewOf(
  classified: Classified,
  draft: KubeObject | null,
  namespace: string,
  cluster: ClusterView,
): Promise<FlinkConfigView | undefined> {
  if (!draft) return undefined;
  const fd = flinkSpecOf(draft, classified);
  if (fd) {
    const carrier = flinkConfigurationCarrier(fd.spec, fd.path);
    return {
      carrier,
      whereOf: (key) => (carrier.get(key) === undefined ? undefined : carrier.where),
      complete: true,
      version: parseOperatorFlinkVersion(fd.spec.flinkVersion) ?? versionFromImage(fd.spec.image),
    };
  }
  if (classified.shape === 'flink-config') {
    if (classified.operatorOwned) return undefined;
    if (!isRecord(draft.data)) draft.data = {};
    const carrier = configFileCarrier(draft.data as Record<string, string>, classified.fileKey, draft.metadata?.name ?? '');
    return {
      carrier,
      whereOf: (key) => (carrier.get(key) === undefined ? undefined : carrier.where),
      complete: true,
      legacyConfFile: classified.fileKey === 'flink-conf.yaml',
    };
  }
  if (classified.shape !== 'workload' || classified.operatorOwned || classified.controller === 'Pod') return undefined;
  const writer = containerCarrier(classified.container);
  const readers: ConfigCarrier[] = [writer];
  const mounted = mountedConfigMapName(classified.podSpec, classified.container);
  let complete = true;
  let incompleteReason: string | undefined;
  let legacyConfFile = false;
  if (mounted) {
    const cm = cluster.configMap ? await cluster.configMap(namespace, mounted) : undefined;
    if (cm && isRecord(cm.data)) {
      // Read-only copy: the workload's writes go to its container args, never into another object.
      const data = { ...(cm.data as Record<string, string>) };
      const fileKey = typeof data['config.yaml'] === 'string' ? 'config.yaml' : 'flink-conf.yaml';
      legacyConfFile = fileKey === 'flink-conf.yaml';
      readers.push(configFileCarrier(data, fileKey, mounted));
    } else {
      complete = false;
      incompleteReason = cm === null
        ? `the config ConfigMap ${mounted} does not exist yet; the webhook judges it when it is created (in enforce mode it adds the HA settings there)`
        : `the config ConfigMap ${mounted} could not be read; the webhook judges it when it is admitted (in enforce mode it adds the HA settings there)`;
    }
  }
  // -D args are only Flink's when they follow the image's entrypoint command; after `bash -c "..."` (the native
  // JobManager) they would be silently ignored, so nothing is written there and missing keys are reported instead.
  const entry = classified.container.args?.[0];
  if (complete && !(classified.mode === 'standalone' && entry !== undefined && FLINK_ENTRYPOINTS.has(entry))) {
    complete = false;
    incompleteReason = classified.mode === 'native'
      ? `in native mode the config lives in ConfigMap ${mounted ?? 'flink-config-<cluster-id>'}, which the webhook judges on its own when it is admitted (in enforce mode it adds the HA settings there)`
      : 'the container\'s args do not start with a Flink entrypoint (jobmanager, taskmanager, standalone-job), so no -D arg can be added: set the HA keys in its Flink config';
  }
  const layered = layeredCarrier(readers, writer);
  return {
    carrier: layered,
    whereOf: (key) => layered.whereOf(key),
    complete,
    incompleteReason,
    version: versionFromImage(classified.container.image),
    legacyConfFile: legacyConfFile && !versionFromImage(classified.container.image),
    mountedConfigMap: mounted,
  };
}
