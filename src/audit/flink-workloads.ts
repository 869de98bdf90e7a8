// Which objects of a cluster snapshot are Flink clusters, and what the whole-cluster checks need to know about them:
// cluster-id, JobManager count, ServiceAccount, who owns them. Read-only and defensive: objects are untrusted data.
import yaml from 'js-yaml';
import type { KubeObject } from '../kube/objects.ts';
import type { WebhookConfig } from '../config/types.ts';

export type FlinkRole = 'cluster' | 'jobmanager' | 'taskmanager' | 'session-job' | 'unknown';

export interface FlinkWorkload {
  object: KubeObject;
  kind: string;
  namespace: string;
  name: string;
  role: FlinkRole;
  /** undefined when nothing on the object names it. */
  clusterId?: string;
  /** JobManagers this object runs (FlinkDeployment and JobManager controllers only). */
  jobManagers?: number;
  /** The ServiceAccount its pods run as (`default` when the pod spec names none). */
  serviceAccount?: string;
  /** Derived by the Flink operator from a FlinkDeployment: the operator, not the user, owns it. */
  ownedByOperator: boolean;
  /** A controller-owned Pod (ReplicaSet, Job, StatefulSet, Deployment): its controller speaks for it. */
  ownedByController: boolean;
}

const CONTROLLER_KINDS = new Set(['ReplicaSet', 'Deployment', 'StatefulSet', 'Job', 'DaemonSet']);

/** Looks up a ConfigMap's data by namespace and name (the Flink config a workload mounts). */
export type ConfigMapLookup = (namespace: string, name: string) => Record<string, string> | undefined;

export function flinkWorkloadOf(obj: KubeObject, config: WebhookConfig, configMaps: ConfigMapLookup = () => undefined): FlinkWorkload | undefined {
  const kind = obj.kind ?? '';
  const meta = obj.metadata ?? {};
  const namespace = meta.namespace ?? 'default';
  const name = meta.name ?? '';
  const spec = asRecord(obj.spec);
  const owners = meta.ownerReferences ?? [];
  const ownedByOperator =
    owners.some((o) => o.kind === 'FlinkDeployment') || meta.annotations?.['flinkdeployment.flink.apache.org/generation'] !== undefined;
  const base = { object: obj, kind, namespace, name, ownedByOperator, ownedByController: false };

  if (kind === 'FlinkDeployment') {
    const jm = asRecord(spec.jobManager);
    return {
      ...base,
      role: 'cluster',
      clusterId: name,
      jobManagers: numberOr(jm.replicas, 1),
      serviceAccount: stringOr(spec.serviceAccount, undefined),
    };
  }
  if (kind === 'FlinkSessionJob') {
    return { ...base, role: 'session-job', clusterId: stringOr(spec.deploymentName, undefined) };
  }

  const podSpec = podSpecOf(obj);
  if (podSpec === undefined) return undefined;
  // A controller's pods carry the template's labels; those are what Flink and the Services select on.
  const templateLabels = kind === 'Pod' ? {} : (asRecord(asRecord(asRecord(spec.template).metadata).labels) as Record<string, string>);
  const labels: Record<string, string> = { ...templateLabels, ...(meta.labels ?? {}) };
  const containers = (Array.isArray(podSpec.containers) ? podSpec.containers : []).map(asRecord);
  const imagePatterns = compiledPatterns(config);
  const flinkImage = containers.some((c) => typeof c.image === 'string' && imagePatterns.some((p) => p.test(c.image as string)));
  const native = labels.type === 'flink-native-kubernetes' || labels.type === 'flink-standalone-kubernetes';
  const component = labels.component;
  if (!flinkImage && !native && component !== 'jobmanager' && component !== 'taskmanager') return undefined;

  const role = roleOf(component, containers);
  const props = flinkPropertiesOf(namespace, podSpec, containers, configMaps);
  const clusterId = props.get('kubernetes.cluster-id') ?? labels.app;
  const ownedByController = kind === 'Pod' && owners.some((o) => CONTROLLER_KINDS.has(o.kind));
  let jobManagers: number | undefined;
  if (role === 'jobmanager') {
    if (kind === 'Job') jobManagers = numberOr(spec.parallelism, 1);
    else if (kind === 'Pod') jobManagers = 1;
    else jobManagers = numberOr(spec.replicas, 1);
  }
  return {
    ...base,
    ownedByController,
    role,
    clusterId,
    jobManagers,
    serviceAccount: stringOr(podSpec.serviceAccountName, undefined) ?? stringOr(podSpec.serviceAccount, undefined) ?? 'default',
  };
}

const patternCache = new WeakMap<WebhookConfig, RegExp[]>();

/** The config's image patterns, compiled once per config (an audit asks this of every listed object). */
function compiledPatterns(config: WebhookConfig): RegExp[] {
  let compiled = patternCache.get(config);
  if (!compiled) patternCache.set(config, (compiled = config.imagePatterns.map((p) => new RegExp(p))));
  return compiled;
}

function roleOf(component: string | undefined, containers: Record<string, unknown>[]): FlinkRole {
  if (component === 'jobmanager' || component === 'taskmanager') return component;
  const args = containers.flatMap((c) => [...arrayOfStrings(c.command), ...arrayOfStrings(c.args)]);
  if (args.includes('jobmanager') || args.includes('standalone-job')) return 'jobmanager';
  if (args.includes('taskmanager')) return 'taskmanager';
  return 'unknown';
}

/** The Flink properties a pod sees: the mounted config file, then FLINK_PROPERTIES, then -D args (later wins). */
function flinkPropertiesOf(namespace: string, podSpec: Record<string, unknown>, containers: Record<string, unknown>[], configMaps: ConfigMapLookup): Map<string, string> {
  const out = new Map<string, string>();
  for (const volume of (Array.isArray(podSpec.volumes) ? podSpec.volumes : []).map(asRecord)) {
    const cmName = asRecord(volume.configMap).name;
    if (typeof cmName !== 'string') continue;
    const data = configMaps(namespace, cmName);
    if (data === undefined) continue;
    for (const [k, v] of parseConfigFile(data)) out.set(k, v);
  }
  for (const c of containers) {
    for (const env of (Array.isArray(c.env) ? c.env : []).map(asRecord)) {
      if (env.name === 'FLINK_PROPERTIES' && typeof env.value === 'string') for (const [k, v] of parseFlatLines(env.value)) out.set(k, v);
    }
    for (const arg of [...arrayOfStrings(c.command), ...arrayOfStrings(c.args)]) {
      const m = /^-D([^=]+)=(.*)$/.exec(arg);
      if (m) out.set(m[1]!, m[2]!);
    }
  }
  return out;
}

/** `config.yaml` (nested YAML, Flink 1.19+) or `flink-conf.yaml` (flat `key: value` lines). */
export function parseConfigFile(data: Record<string, string>): Map<string, string> {
  if (typeof data['config.yaml'] === 'string') {
    try {
      return flatten(yaml.load(data['config.yaml']));
    } catch {
      return new Map();
    }
  }
  if (typeof data['flink-conf.yaml'] === 'string') return parseFlatLines(data['flink-conf.yaml']);
  return new Map();
}

function parseFlatLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([^#:\s][^:]*?)\s*:\s*(.*?)\s*$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

function flatten(node: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
    for (const [k, v] of Object.entries(node)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix && node !== null && node !== undefined) {
    out.set(prefix, typeof node === 'string' ? node : JSON.stringify(node));
  }
  return out;
}

/** The pod spec of a Pod, or of the template of a Deployment/StatefulSet/Job/ReplicaSet/DaemonSet. */
export function podSpecOf(obj: KubeObject): Record<string, unknown> | undefined {
  const spec = asRecord(obj.spec);
  if (obj.kind === 'Pod') return spec;
  if (!['Deployment', 'StatefulSet', 'Job', 'ReplicaSet', 'DaemonSet'].includes(obj.kind ?? '')) return undefined;
  const podSpec = asRecord(asRecord(spec.template).spec);
  return Object.keys(podSpec).length > 0 ? podSpec : undefined;
}

export function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function arrayOfStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function stringOr<T>(v: unknown, fallback: T): string | T {
  return typeof v === 'string' && v !== '' ? v : fallback;
}
