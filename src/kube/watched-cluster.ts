// The informers behind the webhook's cluster view: what the policy reads, watched once for every review. Each kind
// keeps only what is read of it (projections below): names of ServiceAccounts, the ConfigMap rules of RBAC roles,
// JobManager workloads whole but every other Deployment or Job as a name, and only the ConfigMaps labelled
// type=flink-native-kubernetes (selected by the API server: no other ConfigMap ever reaches this process).
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { HA_LABELS } from '../flink/ha-configmap.ts';
import { classify } from '../flink/workload.ts';
import { startInformer, type Informer } from './informer.ts';
import type { KubeObject } from './objects.ts';
import { rbacGrantsConfigMapRights } from './rbac-rights.ts';

export interface WatchedCluster {
  namespaces: Informer<KubeObject>;
  serviceAccounts: Informer<KubeObject>;
  roles: Informer<KubeObject>;
  roleBindings: Informer<KubeObject>;
  clusterRoles: Informer<KubeObject>;
  clusterRoleBindings: Informer<KubeObject>;
  flinkDeployments: Informer<KubeObject>;
  deployments: Informer<KubeObject>;
  jobs: Informer<KubeObject>;
  /** ConfigMaps labelled type=flink-native-kubernetes: HA state and native clusters' flink-config-<id>. */
  haConfigMaps: Informer<KubeObject>;
  all: Array<Informer<KubeObject>>;
  /** RBAC's answer (only "granted" is an answer: see rbac-rights.ts), undefined while RBAC is not synced. */
  rbacGrants(namespace: string, serviceAccount: string): boolean | undefined;
  /** Bumped on every change of a Flink workload kind in a namespace (memo keys for derived listings). */
  workloadGeneration(namespace: string): number;
  stop(): Promise<void>;
}

export interface WatchedClusterOptions {
  imagePatterns?: string[];
  onError?: (name: string, err: unknown, attempt: number) => void;
}

const TYPE_SELECTOR = `type=${HA_LABELS.type}`;

export function watchCluster(kc: KubeConfig, options: WatchedClusterOptions = {}): WatchedCluster {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const patterns = (options.imagePatterns ?? []).map((p) => new RegExp(p));
  const onError = options.onError;

  let rbacMemo: ((namespace: string, sa: string) => boolean) | undefined;
  const rbacChanged = () => { rbacMemo = undefined; };
  const generations = new Map<string, number>();
  const workloadChanged = (namespace: string) => { generations.set(namespace, (generations.get(namespace) ?? 0) + 1); };

  const namespaces = startInformer<KubeObject>(kc, {
    name: 'namespaces', path: '/api/v1/namespaces', list: () => core.listNamespace(), onError,
    project: (o) => stub(o, 'v1', 'Namespace', { labels: o.metadata?.labels ?? {}, annotations: o.metadata?.annotations ?? {} }),
  });
  const serviceAccounts = startInformer<KubeObject>(kc, {
    name: 'serviceaccounts', path: '/api/v1/serviceaccounts', list: () => core.listServiceAccountForAllNamespaces(), onError,
    project: (o) => stub(o, 'v1', 'ServiceAccount'),
  });
  const rbacOptions = { onError, onChange: rbacChanged };
  const roles = startInformer<KubeObject>(kc, {
    name: 'roles', path: '/apis/rbac.authorization.k8s.io/v1/roles', list: () => rbac.listRoleForAllNamespaces(), ...rbacOptions,
    project: (o) => ({ ...stub(o, 'rbac.authorization.k8s.io/v1', 'Role'), rules: configMapRules(o) }),
  });
  const clusterRoles = startInformer<KubeObject>(kc, {
    name: 'clusterroles', path: '/apis/rbac.authorization.k8s.io/v1/clusterroles', list: () => rbac.listClusterRole(), ...rbacOptions,
    project: (o) => ({ ...stub(o, 'rbac.authorization.k8s.io/v1', 'ClusterRole'), rules: configMapRules(o) }),
  });
  const binding = (kind: string) => (o: KubernetesObject) => {
    const b = o as KubernetesObject & { roleRef?: unknown; subjects?: unknown };
    return { ...stub(o, 'rbac.authorization.k8s.io/v1', kind), roleRef: b.roleRef, subjects: b.subjects ?? [] };
  };
  const roleBindings = startInformer<KubeObject>(kc, {
    name: 'rolebindings', path: '/apis/rbac.authorization.k8s.io/v1/rolebindings', list: () => rbac.listRoleBindingForAllNamespaces(), ...rbacOptions,
    project: binding('RoleBinding'),
  });
  const clusterRoleBindings = startInformer<KubeObject>(kc, {
    name: 'clusterrolebindings', path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', list: () => rbac.listClusterRoleBinding(), ...rbacOptions,
    project: binding('ClusterRoleBinding'),
  });
  const flinkDeployments = startInformer<KubeObject>(kc, {
    name: 'flinkdeployments', path: '/apis/flink.apache.org/v1beta1/flinkdeployments', onError, onChange: workloadChanged,
    // Without the operator's CRD the LIST is a 404 and the watch fails: never synced, so the view asks the API.
    list: async () => (await custom.listClusterCustomObject({ group: 'flink.apache.org', version: 'v1beta1', plural: 'flinkdeployments' })) as never,
    project: (o) => ({ ...o, apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment' }),
  });
  // Only JobManager controllers are kept whole (their cluster-id is read from them); every other Deployment or Job
  // is kept as its name, so a cluster with thousands of them costs a few hundred bytes each.
  const jobManagerOrStub = (apiVersion: string, kind: string) => (o: KubernetesObject): KubeObject => {
    const obj = { ...o, apiVersion, kind } as KubeObject;
    const c = classify(obj, patterns);
    return c.shape === 'workload' && c.role === 'jobmanager' ? obj : stub(o, apiVersion, kind);
  };
  const deployments = startInformer<KubeObject>(kc, {
    name: 'deployments', path: '/apis/apps/v1/deployments', list: () => apps.listDeploymentForAllNamespaces(), onError, onChange: workloadChanged,
    project: jobManagerOrStub('apps/v1', 'Deployment'),
  });
  const jobs = startInformer<KubeObject>(kc, {
    name: 'jobs', path: '/apis/batch/v1/jobs', list: () => batch.listJobForAllNamespaces(), onError, onChange: workloadChanged,
    project: jobManagerOrStub('batch/v1', 'Job'),
  });
  const haConfigMaps = startInformer<KubeObject>(kc, {
    name: 'ha-configmaps', path: '/api/v1/configmaps', labelSelector: TYPE_SELECTOR, onError,
    list: () => core.listConfigMapForAllNamespaces({ labelSelector: TYPE_SELECTOR }),
    project: (o) => ({ ...o, apiVersion: 'v1', kind: 'ConfigMap' }),
  });
  const all = [namespaces, serviceAccounts, roles, roleBindings, clusterRoles, clusterRoleBindings, flinkDeployments, deployments, jobs, haConfigMaps];
  for (const i of all) i.start();
  const rbacInformers = [roles, roleBindings, clusterRoles, clusterRoleBindings];

  return {
    namespaces, serviceAccounts, roles, roleBindings, clusterRoles, clusterRoleBindings, flinkDeployments, deployments, jobs, haConfigMaps, all,
    rbacGrants(namespace, serviceAccount) {
      if (!rbacInformers.every((i) => i.synced())) return undefined;
      rbacMemo ??= rbacGrantsConfigMapRights({ roles: roles.list(), roleBindings: roleBindings.list(), clusterRoles: clusterRoles.list(), clusterRoleBindings: clusterRoleBindings.list() });
      return rbacMemo(namespace, serviceAccount);
    },
    workloadGeneration: (namespace) => generations.get(namespace) ?? 0,
    async stop() {
      await Promise.all(all.map((i) => i.stop()));
    },
  };
}

/** name, namespace, resourceVersion (what the cache itself needs), uid, and what else the caller keeps. */
function stub(o: KubernetesObject, apiVersion: string, kind: string, extra: Record<string, unknown> = {}): KubeObject {
  const m = o.metadata ?? {};
  return {
    apiVersion, kind,
    metadata: { name: m.name, ...(m.namespace ? { namespace: m.namespace } : {}), resourceVersion: m.resourceVersion, ...(m.uid ? { uid: m.uid } : {}), ...extra },
  };
}

/** The rules of a Role or ClusterRole that can grant anything on ConfigMaps (all rbac-rights.ts reads). */
function configMapRules(o: KubernetesObject): unknown[] {
  const rules: unknown = (o as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return [];
  return rules.filter((r: { resources?: unknown }) => Array.isArray(r?.resources) && r.resources.some((x) => x === 'configmaps' || x === '*'));
}

