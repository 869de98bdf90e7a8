// Which objects of a cluster snapshot are Flink clusters, and what the whole-cluster checks need to know about them:
// cluster-id, JobManager count, ServiceAccount, who owns them. Read-only and defensive: objects are untrusted data.
import { CLUSTER_ID } from '../flink/config-keys.ts';
import { configFileCarrier, containerCarrier, layeredCarrier } from '../flink/config-carriers.ts';
import { deriveClusterId } from '../flink/cluster-id.ts';
import { classify, mountedConfigMapName, podLabelsOf, type Classified } from '../flink/workload.ts';
import type { KubeObject } from '../kube/objects.ts';
import type { WebhookConfig } from '../config/types.ts';

export type FlinkRole = 'cluster' | 'jobmanager' | 'taskmanager' | 'session-job';

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

  // Pod-bearing objects are recognised exactly as the policy recognises them (src/flink/workload.ts).
  const c = classify(obj, compiledPatterns(config));
  if (c.shape !== 'workload') return undefined;
  const mounted = mountedConfigMapName(c.podSpec, c.container);
  const clusterId = effectiveClusterId(obj, c, namespace, mounted, configMaps);
  const ownedByController = kind === 'Pod' && owners.some((o) => CONTROLLER_KINDS.has(o.kind));
  let jobManagers: number | undefined;
  if (c.role === 'jobmanager') {
    if (kind === 'Job') jobManagers = numberOr(spec.parallelism, 1);
    else if (kind === 'Pod') jobManagers = 1;
    else jobManagers = numberOr(spec.replicas, 1);
  }
  return {
    ...base,
    ownedByController,
    role: c.role,
    clusterId,
    jobManagers,
    serviceAccount: stringOr(c.podSpec.serviceAccountName, undefined) ?? stringOr(c.podSpec.serviceAccount, undefined) ?? 'default',
  };
}

/**
 * The cluster-id as Flink reads it (-D args, FLINK_PROPERTIES, then the mounted config file), else what the
 * webhook would derive: the native app label, or what a standalone cluster's processes share.
 */
function effectiveClusterId(obj: KubeObject, c: Extract<Classified, { shape: 'workload' }>, namespace: string, mounted: string | undefined, configMaps: ConfigMapLookup): string | undefined {
  const readers = [containerCarrier(c.container)];
  const data = mounted ? configMaps(namespace, mounted) : undefined;
  if (mounted && data) readers.push(configFileCarrier({ ...data }, typeof data['config.yaml'] === 'string' ? 'config.yaml' : 'flink-conf.yaml', mounted));
  let explicit: string | undefined;
  try {
    explicit = layeredCarrier(readers, readers[0]!).get(CLUSTER_ID);
  } catch {
    explicit = undefined; // an unreadable config file: fall back to what the processes share
  }
  if (explicit) return explicit;
  return c.mode === 'standalone' ? deriveClusterId(obj, mounted) : podLabelsOf(obj).app;
}

const patternCache = new WeakMap<WebhookConfig, RegExp[]>();

/** The config's image patterns, compiled once per config (an audit asks this of every listed object). */
function compiledPatterns(config: WebhookConfig): RegExp[] {
  let compiled = patternCache.get(config);
  if (!compiled) patternCache.set(config, (compiled = config.imagePatterns.map((p) => new RegExp(p))));
  return compiled;
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


function numberOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function stringOr<T>(v: unknown, fallback: T): string | T {
  return typeof v === 'string' && v !== '' ? v : fallback;
}
