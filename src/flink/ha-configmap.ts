// Recognises the ConfigMaps where Flink's Kubernetes HA keeps leader addresses, job graphs and checkpoint
// pointers. First signal: the labels Flink puts on every one; second: the name patterns plus app/type labels;
// third (for the guards only): an HA name with HA content, which Flink adopts as its own when it finds it.
import type { KubeObject } from '../kube/objects.ts';

export const HA_LABELS = {
  type: 'flink-native-kubernetes',
  configmapType: 'high-availability',
} as const;

/** The labels Flink sets on every HA ConfigMap, and cleans up by (`type`+`app`, `configmap-type`). */
export const FLINK_HA_LABEL_KEYS = ['app', 'type', 'configmap-type'] as const;

/** fabric8's ConfigMapLock annotation: who holds leadership, and until when. */
export const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

/** Flink 1.15+ and the 1.12-1.14 (or use-old-ha-services) layouts. */
export const HA_NAME_SUFFIXES = [
  '-cluster-config-map',
  '-config-map',
  '-dispatcher-leader',
  '-resourcemanager-leader',
  '-restserver-leader',
  '-jobmanager-leader',
] as const;

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

/**
 * HA data keys no other application writes (`address` or `counter` alone say nothing): with an HA name they mark
 * a ConfigMap that Flink would read as its own state. Kept as one source string so the webhook configuration's
 * CEL (src/policy/webhook-conditions.ts) tests exactly the same thing.
 */
export const DISTINCTIVE_HA_KEY_SOURCE = '^(checkpointID-[0-9]+|jobGraph-.+|executionPlan-.+|runningJobsRegistry-.+|org[.]apache[.]flink[.]k8s[.]leader[.].+)$';
const DISTINCTIVE_HA_KEY = new RegExp(DISTINCTIVE_HA_KEY_SOURCE);
/** The HA name patterns as one regular expression (RE2-compatible, for CEL too). */
export const HA_NAME_SOURCE = `(${HA_NAME_SUFFIXES.join('|')})$`;
const HA_NAME = new RegExp(HA_NAME_SOURCE);

/**
 * The names Flink's HA will use, tightly: a valid cluster-id (`[a-z]([-a-z0-9]*[a-z0-9])?`, at most 45 chars) then
 * `-cluster-config-map` or `-<32 hex job id>-config-map` (1.15+), or `-dispatcher-leader`, `-resourcemanager-leader`,
 * `-restserver-leader`, `-<32 hex job id>-jobmanager-leader` (1.12-1.14). A CREATE under one of these names is HA
 * state whatever it holds (a planted ConfigMap that Flink later adopts); tight, so that `db-config-map` is not one.
 * RE2-compatible, for the webhook's CEL too.
 */
export const HA_STATE_NAME_SOURCE = '^[a-z]([-a-z0-9]{0,43}[a-z0-9])?-(cluster-config-map|dispatcher-leader|resourcemanager-leader|restserver-leader|[0-9a-f]{32}-config-map|[0-9a-f]{32}-jobmanager-leader)$';
const HA_STATE_NAME = new RegExp(HA_STATE_NAME_SOURCE);

/** A ConfigMap named as Flink's HA will name one (see HA_STATE_NAME_SOURCE): the name alone, nothing else. */
export function takesHaStateName(obj: KubeObject | null | undefined): boolean {
  if (!obj || obj.kind !== 'ConfigMap') return false;
  const name: unknown = obj.metadata?.name;
  return typeof name === 'string' && name.length <= 253 && HA_STATE_NAME.test(name);
}

export function isHaDataKey(key: string): boolean {
  return HA_DATA_KEY_PATTERNS.some((p) => p.test(key));
}

/** Is this ConfigMap an HA ConfigMap of a Flink cluster? Returns the cluster-id when it is. */
export function haConfigMapClusterId(obj: KubeObject | null | undefined): string | undefined {
  if (!obj || obj.kind !== 'ConfigMap') return undefined;
  const labels = stringMap(obj.metadata?.labels);
  const app = labels.app;
  if (labels['configmap-type'] === HA_LABELS.configmapType && labels.type === HA_LABELS.type) {
    return app ?? clusterIdFromName(obj.metadata?.name) ?? '';
  }
  // Second signal: an HA name pattern whose prefix is the app label, on a Flink-native ConfigMap.
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '';
  if (app && labels.type === HA_LABELS.type && name.startsWith(`${app}-`) && HA_NAME_SUFFIXES.some((s) => name.endsWith(s))) {
    return app;
  }
  return undefined;
}

export function isHaConfigMap(obj: KubeObject | null | undefined): boolean {
  return haConfigMapClusterId(obj) !== undefined;
}

export interface HaMarkKeys {
  /** The webhook's own label/annotation keys (release, exempt...): on an HA-named ConfigMap they are HA state too. */
  markLabels: string[];
  markAnnotations: string[];
}

/**
 * What the guards protect: an HA ConfigMap, or any ConfigMap that Flink would take for one — an HA name
 * (`<id>-cluster-config-map`, `<id>-<job>-config-map`, `-*-leader`) carrying Flink-only data keys, the leader
 * annotation, Flink's `type` label or the webhook's release/exempt marks. Flink adopts an existing ConfigMap of its
 * name as it finds it (job ConfigMaps are created only "if they do not exist"), so a planted one is an attack on
 * the cluster that will use that name.
 */
export function looksLikeHaState(obj: KubeObject | null | undefined, marks: HaMarkKeys): boolean {
  if (!obj || obj.kind !== 'ConfigMap') return false;
  if (isHaConfigMap(obj)) return true;
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '';
  if (!HA_NAME.test(name)) return false;
  const labels = stringMap(obj.metadata?.labels);
  const annotations = stringMap(obj.metadata?.annotations);
  if (labels.type === HA_LABELS.type || labels['configmap-type'] === HA_LABELS.configmapType) return true;
  if (LEADER_ANNOTATION in annotations) return true;
  if (marks.markLabels.some((k) => k in labels) || marks.markAnnotations.some((k) => k in annotations)) return true;
  return [obj.data, obj.binaryData].some((m) => isPlainRecord(m) && Object.keys(m).some((k) => DISTINCTIVE_HA_KEY.test(k)));
}

function clusterIdFromName(name: unknown): string | undefined {
  if (typeof name !== 'string' || !name) return undefined;
  for (const suffix of ['-cluster-config-map', '-dispatcher-leader', '-resourcemanager-leader', '-restserver-leader']) {
    if (name.endsWith(suffix)) return name.slice(0, -suffix.length);
  }
  return undefined;
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Labels or annotations as sent: untrusted, so anything that is not a string map reads as empty. */
export function stringMap(v: unknown): Record<string, string> {
  return isPlainRecord(v) ? (v as Record<string, string>) : {};
}
