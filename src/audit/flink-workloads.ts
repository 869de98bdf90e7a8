// Which objects of a cluster snapshot are Flink clusters, and what the whole-cluster checks need to know about them:
// cluster-id, JobManager count, ServiceAccount, who owns them. Read-only and defensive: objects are untrusted data.
import { clusterIdOf } from '../flink/cluster-id.ts';
import { classify, isOperatorOwned, isRecord, jobManagerCountOf, mountedConfigMapName, serviceAccountOf } from '../flink/workload.ts';
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

/** Looks up a ConfigMap by namespace and name (the Flink config a workload mounts). */
export type ConfigMapLookup = (namespace: string, name: string) => KubeObject | undefined;

/** What the whole-cluster checks need of a Flink object, from the same Flink facts the policy reads (src/flink/). */
export function flinkWorkloadOf(obj: KubeObject, config: WebhookConfig, configMaps: ConfigMapLookup = () => undefined): FlinkWorkload | undefined {
  const c = classify(obj, compiledPatterns(config));
  const kind = obj.kind ?? '';
  const namespace = obj.metadata?.namespace ?? 'default';
  const name = obj.metadata?.name ?? '';
  const base = { object: obj, kind, namespace, name, ownedByOperator: isOperatorOwned(obj), ownedByController: false };
  if (c.shape === 'flinkdeployment') {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    return { ...base, role: 'cluster', clusterId: clusterIdOf(obj, c), jobManagers: jobManagerCountOf(obj, c), serviceAccount: stringOr(spec.serviceAccount) };
  }
  if (c.shape === 'flink-session-job') return { ...base, role: 'session-job', clusterId: clusterIdOf(obj, c) };
  if (c.shape !== 'workload') return undefined;
  const mounted = mountedConfigMapName(c.podSpec, c.container);
  const owners: unknown = obj.metadata?.ownerReferences;
  return {
    ...base,
    ownedByController: kind === 'Pod' && Array.isArray(owners) && owners.some((o) => isRecord(o) && typeof o.kind === 'string' && CONTROLLER_KINDS.has(o.kind)),
    role: c.role,
    clusterId: clusterIdOf(obj, c, mounted ? configMaps(namespace, mounted) : undefined),
    jobManagers: jobManagerCountOf(obj, c),
    serviceAccount: serviceAccountOf(c.podSpec),
  };
}

const patternCache = new WeakMap<WebhookConfig, RegExp[]>();

/** The config's image patterns, compiled once per config (an audit asks this of every listed object). */
function compiledPatterns(config: WebhookConfig): RegExp[] {
  let compiled = patternCache.get(config);
  if (!compiled) patternCache.set(config, (compiled = config.imagePatterns.map((p) => new RegExp(p))));
  return compiled;
}

function stringOr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
