// Recognises what a Kubernetes object is to Flink: an operator FlinkDeployment, a standalone or native JobManager
// or TaskManager (controller or Pod), a Flink config ConfigMap, an HA ConfigMap, a Namespace, or nothing of ours.
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/objects.ts';
import { groupOf } from '../kube/objects.ts';
import { isHaConfigMap } from './ha-configmap.ts';
import { controllerProblems, flinkDeploymentSpecProblems, found, podSpecProblems } from './shape.ts';

export type Role = 'jobmanager' | 'taskmanager';
export type FlinkMode = 'standalone' | 'native' | 'operator';

export type Classified =
  /** A FlinkDeployment, or a FlinkBlueGreenDeployment (`blueGreen`), whose spec.template.spec is a FlinkDeployment spec. */
  | { shape: 'flinkdeployment'; blueGreen?: boolean }
  /** The operator's: a canary, or a FlinkDeployment a FlinkBlueGreenDeployment derived. Reported, never touched. */
  | { shape: 'left-alone'; reason: string }
  /** A job submitted to a session cluster (spec.deploymentName): audited against that cluster, never mutated. */
  | { shape: 'flink-session-job' }
  | {
      shape: 'workload';
      role: Role;
      mode: FlinkMode;
      /** session (JobManager Deployment) or application (JobManager Job / standalone-job args). */
      variant: 'session' | 'application';
      /** Deployment, StatefulSet, Job or Pod. */
      controller: 'Deployment' | 'StatefulSet' | 'Job' | 'Pod';
      podSpec: V1PodSpec;
      container: V1Container;
      /** Created and reconciled by the Flink Kubernetes Operator: audited, never mutated. */
      operatorOwned: boolean;
    }
  | { shape: 'flink-config'; fileKey: 'flink-conf.yaml' | 'config.yaml'; native: boolean; operatorOwned: boolean }
  | { shape: 'ha-configmap' }
  | { shape: 'namespace' }
  /** Looks like Flink but cannot be read (a broken pod template, a non-object spec): answered with the reason. */
  | { shape: 'invalid'; reason: string }
  | { shape: 'other' };

const POD_CONTROLLERS: Record<string, { group: string; controller: 'Deployment' | 'StatefulSet' | 'Job' }> = {
  Deployment: { group: 'apps', controller: 'Deployment' },
  StatefulSet: { group: 'apps', controller: 'StatefulSet' },
  Job: { group: 'batch', controller: 'Job' },
};

export const OPERATOR_GENERATION_ANNOTATION = 'flinkdeployment.flink.apache.org/generation';
/** The official image's entrypoint commands; after them, -Dkey=value args are Flink dynamic properties. */
export const FLINK_ENTRYPOINTS = new Set(['jobmanager', 'taskmanager', 'standalone-job']);

/** The label the Flink operator puts on the canary resources it creates to check its own health. */
export const CANARY_LABEL = 'flink.apache.org/canary';

export function classify(obj: KubeObject, imagePatterns: RegExp[]): Classified {
  const kind = obj.kind ?? '';
  const group = groupOf(obj.apiVersion);
  if (group === 'flink.apache.org' && obj.metadata?.labels?.[CANARY_LABEL] === 'true') {
    return { shape: 'left-alone', reason: `a canary ${kind} of the Flink Kubernetes Operator (label ${CANARY_LABEL}=true): it checks the operator's own health and runs no job; left alone` };
  }
  if (kind === 'FlinkDeployment' && group === 'flink.apache.org') {
    const parent = ownerOfKind(obj, 'FlinkBlueGreenDeployment');
    if (parent !== undefined) {
      return { shape: 'left-alone', reason: `derived by FlinkBlueGreenDeployment ${parent} from its spec.template, which is where HA is checked and set; the operator owns this one` };
    }
    if (!isRecord(obj.spec)) return { shape: 'invalid', reason: 'FlinkDeployment has no spec object' };
    const problems = flinkDeploymentSpecProblems(obj.spec);
    return problems.length > 0 ? { shape: 'invalid', reason: problems.join('; ') } : { shape: 'flinkdeployment' };
  }
  if (kind === 'FlinkBlueGreenDeployment' && group === 'flink.apache.org') {
    const template = isRecord(obj.spec) ? obj.spec.template : undefined;
    if (!isRecord(template) || !isRecord(template.spec)) return { shape: 'invalid', reason: 'FlinkBlueGreenDeployment has no spec.template.spec object (the FlinkDeployment spec it derives blue and green from)' };
    const problems = flinkDeploymentSpecProblems(template.spec, 'spec.template.spec');
    return problems.length > 0 ? { shape: 'invalid', reason: problems.join('; ') } : { shape: 'flinkdeployment', blueGreen: true };
  }
  if (kind === 'FlinkSessionJob' && group === 'flink.apache.org') {
    const name = isRecord(obj.spec) ? obj.spec.deploymentName : undefined;
    return typeof name === 'string' && name !== ''
      ? { shape: 'flink-session-job' }
      : { shape: 'invalid', reason: `spec.deploymentName must name the session cluster (a FlinkDeployment) the job runs in; found ${isRecord(obj.spec) ? found(name) : 'no spec map'}` };
  }
  if (kind === 'Namespace' && group === '') return { shape: 'namespace' };
  if (kind === 'ConfigMap' && group === '') return classifyConfigMap(obj);
  const ctl = POD_CONTROLLERS[kind];
  if (kind === 'Pod' && group === '') return classifyPodBearer(obj, obj.spec, 'Pod', imagePatterns);
  if (ctl && ctl.group === group) {
    const template = isRecord(obj.spec) ? obj.spec.template : undefined;
    return classifyPodBearer(obj, isRecord(template) ? template.spec : undefined, ctl.controller, imagePatterns, isRecord(template) ? template : undefined);
  }
  return { shape: 'other' };
}

function classifyConfigMap(obj: KubeObject): Classified {
  if (isHaConfigMap(obj)) return { shape: 'ha-configmap' };
  const data = isRecord(obj.data) ? obj.data : {};
  const name = obj.metadata?.name ?? '';
  const labels = obj.metadata?.labels ?? {};
  const native = labels.type === 'flink-native-kubernetes';
  const operatorOwned = isOperatorOwned(obj);
  // The Flink Kubernetes Operator's own configuration (its chart's `flink-operator-config`: flink-conf.yaml beside
  // log4j-operator.properties, a file only the operator reads) configures the operator and the defaults of the
  // clusters it deploys, not a Flink cluster: HA keys written into it reach every FlinkDeployment, and the
  // operator's validation refuses them all ("Forbidden Flink config key: kubernetes.namespace").
  if (typeof data['log4j-operator.properties'] === 'string') return { shape: 'other' };
  if (typeof data['flink-conf.yaml'] === 'string') return { shape: 'flink-config', fileKey: 'flink-conf.yaml', native, operatorOwned };
  // `config.yaml` is a common name: only a Flink one when something else says Flink.
  const looksFlink = name.startsWith('flink-config') || native || typeof data['log4j-console.properties'] === 'string' ||
    (typeof data['config.yaml'] === 'string' && /^(jobmanager|taskmanager|high-availability|kubernetes)[.:]/m.test(data['config.yaml']));
  if (typeof data['config.yaml'] === 'string' && looksFlink) return { shape: 'flink-config', fileKey: 'config.yaml', native, operatorOwned };
  return { shape: 'other' };
}

function classifyPodBearer(
  obj: KubeObject,
  spec: unknown,
  controller: 'Deployment' | 'StatefulSet' | 'Job' | 'Pod',
  imagePatterns: RegExp[],
  template?: Record<string, unknown>,
): Classified {
  const templateMeta = isRecord(template?.metadata) ? (template.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> }) : {};
  const labels = { ...(obj.metadata?.labels ?? {}), ...(templateMeta.labels ?? {}) };
  const flinkLabelled = labels.component === 'jobmanager' || labels.component === 'taskmanager' || labels.type === 'flink-native-kubernetes';
  if (!isRecord(spec) || !Array.isArray(spec.containers)) {
    return flinkLabelled ? { shape: 'invalid', reason: `${controller} has no readable pod spec (spec${controller === 'Pod' ? '' : '.template.spec'}.containers)` } : { shape: 'other' };
  }
  // Recognition reads only what it has checked; the full type check comes once the object is known to be Flink's.
  const containers = (spec.containers as unknown[]).filter(isRecord);
  const container = containers.find((c) => c.name === 'flink-main-container') ??
    containers.find((c) => FLINK_ENTRYPOINTS.has(entryOf(c) ?? '')) ??
    containers.find((c) => typeof c.image === 'string' && imagePatterns.some((p) => p.test(c.image as string)));
  if (!container) return flinkLabelled ? invalidPodBearer(obj, spec, controller) ?? { shape: 'other' } : { shape: 'other' };
  const entry = entryOf(container);
  let role: Role | undefined;
  if (labels.component === 'jobmanager' || entry === 'jobmanager' || entry === 'standalone-job') role = 'jobmanager';
  else if (labels.component === 'taskmanager' || entry === 'taskmanager') role = 'taskmanager';
  if (!role) return { shape: 'other' }; // a Flink client, SQL gateway, ...: not a cluster process
  const invalid = invalidPodBearer(obj, spec, controller);
  if (invalid) return invalid;
  const native = labels.type === 'flink-native-kubernetes';
  const operatorOwned = isOperatorOwned(obj) || templateMeta.annotations?.[OPERATOR_GENERATION_ANNOTATION] !== undefined ||
    labels.type === 'flink-standalone-kubernetes';
  const variant = controller === 'Job' || entry === 'standalone-job' ? 'application' : 'session';
  return {
    shape: 'workload',
    role,
    mode: operatorOwned ? 'operator' : native ? 'native' : 'standalone',
    variant,
    controller,
    // Checked above (podSpecProblems): the fields the policy reads have the types V1PodSpec and V1Container say.
    podSpec: spec as unknown as V1PodSpec,
    container: container as unknown as V1Container,
    operatorOwned,
  };
}

/** The first arg, when it is text: the image's entrypoint command (jobmanager, taskmanager, standalone-job). */
function entryOf(container: Record<string, unknown>): string | undefined {
  const args = container.args;
  return Array.isArray(args) && typeof args[0] === 'string' ? args[0] : undefined;
}

/** A Flink pod bearer whose fields the policy reads have the wrong type: the problems, with their paths. */
function invalidPodBearer(obj: KubeObject, podSpec: Record<string, unknown>, controller: string): Classified | undefined {
  const problems = [
    ...(controller !== 'Pod' && isRecord(obj.spec) ? controllerProblems(obj.spec, controller) : []),
    ...podSpecProblems(podSpec, controller === 'Pod' ? 'spec' : 'spec.template.spec'),
  ];
  return problems.length > 0 ? { shape: 'invalid', reason: problems.join('; ') } : undefined;
}

/** The name of the owner of that kind, if the object has one. */
function ownerOfKind(obj: KubeObject, kind: string): string | undefined {
  const owners: unknown = obj.metadata?.ownerReferences;
  if (!Array.isArray(owners)) return undefined;
  const owner: unknown = owners.find((r) => isRecord(r) && r.kind === kind);
  return isRecord(owner) ? (typeof owner.name === 'string' ? owner.name : '') : undefined;
}

/**
 * The FlinkDeployment spec of a FlinkDeployment (`spec`) or of a FlinkBlueGreenDeployment (`spec.template.spec`),
 * with the path messages name it by. Checked by classify(); undefined for anything else.
 */
export function flinkSpecOf(obj: KubeObject, c: Classified): { spec: Record<string, unknown>; path: string } | undefined {
  if (c.shape !== 'flinkdeployment' || !isRecord(obj.spec)) return undefined;
  if (!c.blueGreen) return { spec: obj.spec, path: 'spec' };
  const template = obj.spec.template;
  return isRecord(template) && isRecord(template.spec) ? { spec: template.spec, path: 'spec.template.spec' } : undefined;
}

export function isOperatorOwned(obj: KubeObject): boolean {
  const owners: unknown = obj.metadata?.ownerReferences;
  return (Array.isArray(owners) && owners.some((r) => isRecord(r) && r.kind === 'FlinkDeployment')) ||
    obj.metadata?.annotations?.[OPERATOR_GENERATION_ANNOTATION] !== undefined;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Pod labels of a workload (the template's for controllers). */
export function podLabelsOf(obj: KubeObject): Record<string, string> {
  if (obj.kind === 'Pod') return obj.metadata?.labels ?? {};
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const template = isRecord(spec.template) ? spec.template : {};
  const meta = isRecord(template.metadata) ? (template.metadata as { labels?: Record<string, string> }) : {};
  return { ...(obj.metadata?.labels ?? {}), ...(meta.labels ?? {}) };
}

/** The ConfigMap mounted as the Flink conf dir (`/opt/flink/conf`) of the Flink container, if any. */
export function mountedConfigMapName(podSpec: V1PodSpec, container: V1Container): string | undefined {
  const mount = (container.volumeMounts ?? []).find((m) => /\/conf\/?$/.test(m.mountPath));
  if (!mount) return undefined;
  const volume = (podSpec.volumes ?? []).find((v) => v.name === mount.name);
  return volume?.configMap?.name ?? volume?.projected?.sources?.find((s) => s.configMap)?.configMap?.name;
}

/** The pod spec of a Pod, or of the template of a Deployment/StatefulSet/Job/ReplicaSet/DaemonSet, when it is a map. */
export function podSpecOf(obj: KubeObject): Record<string, unknown> | undefined {
  const spec = isRecord(obj.spec) ? obj.spec : undefined;
  if (obj.kind === 'Pod') return spec;
  if (!spec || !['Deployment', 'StatefulSet', 'Job', 'ReplicaSet', 'DaemonSet'].includes(obj.kind ?? '')) return undefined;
  const template = isRecord(spec.template) ? spec.template : undefined;
  return template && isRecord(template.spec) ? template.spec : undefined;
}

/** The ServiceAccount a pod runs as (`default` when its spec names none, as the API server sets it). */
export function serviceAccountOf(podSpec: V1PodSpec): string {
  return podSpec.serviceAccountName || podSpec.serviceAccount || 'default';
}

/**
 * How many JobManagers an object runs, in the field its mode uses: a FlinkDeployment's spec.jobManager.replicas, a
 * JobManager Job's parallelism, a Pod's one, a controller's replicas (unset: 1, as the API server defaults them).
 */
export function jobManagerCountOf(obj: KubeObject, c: Classified): number | undefined {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const whole = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) ? v : 1);
  if (c.shape === 'flinkdeployment') return whole(isRecord(spec.jobManager) ? spec.jobManager.replicas : undefined);
  if (c.shape !== 'workload' || c.role !== 'jobmanager') return undefined;
  if (c.controller === 'Pod') return 1;
  return whole(c.controller === 'Job' ? spec.parallelism : spec.replicas);
}
