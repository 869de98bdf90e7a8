// The ClusterView of a running webhook. With `watched` (informers, watched-cluster.ts) it answers from their caches
// while they are synced, in the direction a stale cache cannot hurt: what exists (a ServiceAccount, HA state, RBAC's
// grant, a FlinkDeployment) is answered from the watch; what does not exist, a denying guard's "none", and anything
// asked while a watch is down or relisting is asked of the API server, as without informers. API answers are cached
// for a short TTL so the admission path rarely waits, and every failure (timeout, RBAC, network) answers
// `undefined`: "could not check", which the rules report instead of guessing. The webhook's RBAC must allow these.
import {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import { clusterIdOf, listedAsCluster } from '../flink/cluster-id.ts';
import { haConfigMapClusterId, isHaConfigMap } from '../flink/ha-configmap.ts';
import { classify, mountedConfigMapName } from '../flink/workload.ts';
import type { ClusterView } from '../policy/types.ts';
import { configMapRightsReviews } from './configmap-rights.ts';
import type { KubeObject } from './objects.ts';
import type { WatchedCluster } from './watched-cluster.ts';

export interface ApiClusterViewOptions {
  /** How long an answer is reused (default 5 s). */
  ttlMs?: number;
  /** How long a failure is remembered, so a struggling API server is not asked on every review (default 1 s). */
  errorTtlMs?: number;
  /** Longest wait for one API call before answering "could not check" (default 2 s, well inside timeoutSeconds). */
  callTimeoutMs?: number;
  /** config.imagePatterns: how Flink containers are recognised when listing the Flink clusters of a namespace. */
  imagePatterns?: string[];
  now?: () => number;
  /** Informers to answer from while synced (watchCluster); without them every answer comes from the API server. */
  watched?: WatchedCluster;
}

/** Where each question's answers came from, and the API calls made (read by the server's metrics). */
export interface ClusterViewStats {
  /** question -> answers from the informers' caches */
  watch: Map<string, number>;
  /** question -> answers from the TTL cache of earlier API answers (no call) */
  ttl: Map<string, number>;
  /** question -> API calls made */
  calls: Map<string, number>;
}

export type ApiClusterView = ClusterView & { stats: ClusterViewStats; watched?: WatchedCluster };

const bump = (m: Map<string, number>, key: string, n = 1) => m.set(key, (m.get(key) ?? 0) + n);

export function apiClusterView(kubeConfig: KubeConfig, options: ApiClusterViewOptions = {}): ApiClusterView {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const stats: ClusterViewStats = { watch: new Map(), ttl: new Map(), calls: new Map() };
  const ttl = ttlCache(options, (key) => bump(stats.ttl, questionOf(key)));
  /** The TTL-cached API answer; each load counts its calls (`call`). */
  const cached: Cached = (key, load, ttlMs, keep) => ttl(key, load, ttlMs, keep);
  const call = <T>(question: string, p: Promise<T>): Promise<T> => {
    bump(stats.calls, question);
    return p;
  };
  const fromWatch = <T>(question: string, value: T): Promise<T> => {
    bump(stats.watch, question);
    return Promise.resolve(value);
  };
  const patterns = (options.imagePatterns ?? []).map((p) => new RegExp(p));
  const w = options.watched;

  const view: ApiClusterView = {
    stats,
    ...(w ? { watched: w } : {}),
    // The mode and exemption labels were a 5 s TTL answer before: a watched one is fresher. An unknown namespace is
    // asked of the API server (it may be new).
    namespaceMeta: (namespace) => {
      const ns = w?.namespaces.synced() ? w.namespaces.get('', namespace) : undefined;
      if (ns) return fromWatch('namespace', { labels: { ...ns.metadata?.labels }, annotations: { ...ns.metadata?.annotations } });
      return cached(`namespace/${namespace}`, async () => {
        const ns = await call('namespace', core.readNamespace({ name: namespace }));
        return { labels: ns.metadata?.labels ?? {}, annotations: ns.metadata?.annotations ?? {} };
      });
    },

    // "Exists" from the watch; "missing" (which denies a controller) is asked of the API server.
    serviceAccountExists: (namespace, name) => {
      if (w?.serviceAccounts.synced() && w.serviceAccounts.get(namespace, name)) return fromWatch('serviceaccount', true);
      return cached(`serviceaccount/${namespace}/${name}`, async () => {
        try {
          await call('serviceaccount', core.readNamespacedServiceAccount({ name, namespace }));
          return true;
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return false;
          throw err;
        }
      });
    },

    // A SubjectAccessReview asks about the Flink ServiceAccount; a SelfSubjectAccessReview would ask about us.
    // RBAC only ever grants (rbac-rights.ts): its "granted" is an answer, anything else is asked (other authorizers).
    serviceAccountCanManageConfigMaps: (namespace, name) => {
      if (w?.rbacGrants(namespace, name) === true) return fromWatch('configmap-rights', true);
      return cached(`configmap-rights/${namespace}/${name}`, async () => {
        const answers = await Promise.all(configMapRightsReviews(namespace, name).map((body) => call('configmap-rights', authz.createSubjectAccessReview({ body }))));
        return answers.every((a) => a.status?.allowed === true);
      });
    },

    // Every JobManager side of the namespace: FlinkDeployments, and the standalone/native JobManager Deployments
    // and Jobs (operator-owned ones are their FlinkDeployment, when that is shown: listedAsCluster). The owner is
    // `Kind/name`, as the policy compares. From the watch when synced (recomputed only after a change in the
    // namespace, or when a mounted config ConfigMap's TTL runs out); else listed afresh for every review, since a
    // cached listing would let two clusters with one id in through the same window (concurrent reviews share it).
    flinkClusterIds: (namespace) => {
      if (w && w.flinkDeployments.synced() && w.deployments.synced() && w.jobs.synced()) {
        const memo = idMemo.get(namespace);
        const generation = w.workloadGeneration(namespace);
        if (memo && memo.generation === generation && memo.expires > (options.now ?? Date.now)()) return fromWatch('cluster-ids', memo.ids);
        return watchedClusterIds(w, namespace, generation);
      }
      return cached(`cluster-ids/${namespace}`, async () => {
        const [crs, deployments, jobs] = await Promise.all([
          listFlinkDeployments(custom, namespace, call),
          call('cluster-ids', apps.listNamespacedDeployment({ namespace })),
          call('cluster-ids', batch.listNamespacedJob({ namespace })),
        ]);
        const workloads: KubeObject[] = [
          ...deployments.items.map((d) => ({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' })),
          ...jobs.items.map((j) => ({ ...j, apiVersion: 'batch/v1', kind: 'Job' })),
        ];
        return (await clusterIdsOf(crs, workloads, namespace)).ids;
      }, 0);
    },

    // The Flink config ConfigMap a workload mounts: null when it does not exist (yet). A native cluster's
    // flink-config-<id> is watched (labelled); any other is read from the API server and kept for the TTL.
    configMap: (namespace, name) => {
      const watched = w?.haConfigMaps.synced() ? w.haConfigMaps.get(namespace, name) : undefined;
      if (watched) return fromWatch('configmap', watched);
      return cached(`configmap/${namespace}/${name}`, async () => {
        try {
          const cm = await call('configmap', core.readNamespacedConfigMap({ name, namespace }));
          const obj: KubeObject = { ...cm, apiVersion: 'v1', kind: 'ConfigMap' };
          return obj;
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return null;
          throw err;
        }
      });
    },

    // A session job's session cluster, or the FlinkDeployment that owns a JobManager: null when it does not exist
    // (or the operator's CRD is not installed). "Exists" from the watch; "does not exist" asked.
    flinkDeployment: (namespace, name) => {
      const watched = w?.flinkDeployments.synced() ? w.flinkDeployments.get(namespace, name) : undefined;
      if (watched) return fromWatch('flinkdeployment', watched);
      return cached(`flinkdeployment/${namespace}/${name}`, async () => {
        try {
          return (await call('flinkdeployment', custom.getNamespacedCustomObject({ group: 'flink.apache.org', version: 'v1beta1', namespace, plural: 'flinkdeployments', name }))) as KubeObject;
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return null;
          throw err;
        }
      });
    },

    // The Pod a token names (requester.ts proves owners with it). Cached like the rest: a made-up Pod is absent
    // whenever asked, and a real Pod's uid and ServiceAccount never change. Pods are not watched (too many).
    boundPod: (namespace, name) =>
      cached(`pod/${namespace}/${name}`, async () => {
        try {
          const pod = await call('pod', core.readNamespacedPod({ name, namespace }));
          return { uid: pod.metadata?.uid ?? '', serviceAccountName: pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default' };
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return null;
          throw err;
        }
      }),

    // Only "holds HA state" is reused (from the watch, or the TTL): "none" lets a namespace deletion through, so it
    // is asked afresh every time (a cached "none" from a dry run would admit the real delete after Flink wrote its
    // state). Concurrent askers still share the one listing in flight.
    namespaceHoldsHaState: (namespace) => {
      if (w?.haConfigMaps.synced() && w.haConfigMaps.list(namespace).some((cm) => isHaConfigMap(cm))) return fromWatch('ha-state', true);
      return cached(`ha-state/${namespace}`, async () => {
        // Every Flink version labels its HA ConfigMaps type=flink-native-kubernetes and app=<cluster-id>; only
        // 1.x adds configmap-type=high-availability (2.x dropped it: docs/real-flink.md). So select by type and
        // let the recogniser decide (the selection also holds native clusters' flink-config-<id> ConfigMaps).
        const list = await call('ha-state', core.listNamespacedConfigMap({ namespace, labelSelector: 'type=flink-native-kubernetes' }));
        return list.items.some((cm) => isHaConfigMap({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }));
      }, undefined, (holds) => holds === true);
    },

    // Asked fresh every time (TTL 0: concurrent reviews still share one call) for the guards, whose "none" lets a
    // delete through: a watch a moment behind must not answer it. Only a warning's question (FLINK-30004's leftover
    // state on a CREATE) is answered from the watch, where a stale answer costs at most a warning.
    haConfigMapsOf: (namespace, clusterId, use) => {
      if (use === 'warning' && w?.haConfigMaps.synced()) {
        return fromWatch('ha-configmaps', w.haConfigMaps.list(namespace).filter((cm) => cm.metadata?.labels?.app === clusterId && haConfigMapClusterId(cm) === clusterId));
      }
      return cached(`ha-configmaps/${namespace}/${clusterId}`, async () => {
        const list = await call('ha-configmaps', core.listNamespacedConfigMap({ namespace, labelSelector: `type=flink-native-kubernetes,app=${clusterId}` }));
        return list.items
          .map((cm): KubeObject => ({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }))
          .filter((cm) => haConfigMapClusterId(cm) === clusterId);
      }, 0);
    },
  };

  const idMemo = new Map<string, { generation: number; expires: number; ids: ClusterIds }>();
  const watchedClusterIds = async (watched: WatchedCluster, namespace: string, generation: number): Promise<ClusterIds | undefined> => {
    const crs = watched.flinkDeployments.list(namespace).map((fd) => ({ name: fd.metadata?.name ?? '', ...(fd.metadata?.uid ? { uid: fd.metadata.uid } : {}) }));
    // Stubs (no spec) are the Deployments and Jobs that are no JobManager: skipped without classifying again.
    const workloads = [...watched.deployments.list(namespace), ...watched.jobs.list(namespace)].filter((o) => o.spec !== undefined);
    const { ids, readConfig } = await clusterIdsOf(crs, workloads, namespace);
    const now = (options.now ?? Date.now)();
    // A cluster-id read from a mounted config ConfigMap (not watched) holds as long as that ConfigMap's TTL answer.
    idMemo.set(namespace, { generation, expires: readConfig ? now + (options.ttlMs ?? 5000) : Infinity, ids });
    if (idMemo.size > 10_000) idMemo.clear();
    bump(stats.watch, 'cluster-ids');
    return ids;
  };

  const clusterIdsOf = async (crs: Array<{ name: string; uid?: string }>, workloads: KubeObject[], namespace: string): Promise<{ ids: ClusterIds; readConfig: boolean }> => {
    const ids: ClusterIds = crs.map(({ name }) => ({ clusterId: name, owner: `FlinkDeployment/${name}` }));
    const uids = new Map(crs.map((fd) => [fd.name, fd]));
    let readConfig = false;
    for (const obj of workloads) {
      const c = classify(obj, patterns);
      if (!listedAsCluster(obj, c, (name) => uids.get(name))) continue;
      const mounted = c.shape === 'workload' ? mountedConfigMapName(c.podSpec, c.container) : undefined;
      if (mounted) readConfig = true;
      const cm = mounted ? await view.configMap!(namespace, mounted) : undefined;
      const id = clusterIdOf(obj, c, cm);
      if (id) ids.push({ clusterId: id, owner: `${obj.kind}/${obj.metadata?.name ?? ''}` });
    }
    return { ids, readConfig };
  };
  return view;
}

type ClusterIds = Array<{ clusterId: string; owner: string }>;

/** The question a TTL key is about (its first segment), for the stats. */
const questionOf = (key: string) => key.slice(0, key.indexOf('/'));

/** FlinkDeployments (name, uid) of a namespace; none when the operator's CRD is not installed. */
async function listFlinkDeployments(custom: CustomObjectsApi, namespace: string, call: <T>(question: string, p: Promise<T>) => Promise<T>): Promise<Array<{ name: string; uid?: string }>> {
  try {
    const list = (await call('cluster-ids', custom.listNamespacedCustomObject({ group: 'flink.apache.org', version: 'v1beta1', namespace, plural: 'flinkdeployments' }))) as {
      items?: Array<{ metadata?: { name?: string; uid?: string } }>;
    };
    return (list.items ?? [])
      .filter((i) => typeof i.metadata?.name === 'string')
      .map((i) => ({ name: i.metadata!.name!, ...(typeof i.metadata?.uid === 'string' ? { uid: i.metadata.uid } : {}) }));
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return [];
    throw err;
  }
}

type Cached = <T>(key: string, load: () => Promise<T>, ttlMs?: number, keep?: (value: T) => boolean) => Promise<T | undefined>;

/**
 * A TTL cache of promises: concurrent reviews asking the same question share one API call. An answer `keep`
 * refuses is dropped once it arrives (shared while in flight, never reused after); failures are kept errorTtl.
 */
function ttlCache(options: ApiClusterViewOptions, onHit: (key: string) => void): Cached {
  const ttl = options.ttlMs ?? 5000;
  const errorTtl = options.errorTtlMs ?? 1000;
  const timeout = options.callTimeoutMs ?? 2000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { expires: number; value: Promise<unknown> }>();
  return <T>(key: string, load: () => Promise<T>, ttlMs = ttl, keep?: (value: T) => boolean): Promise<T | undefined> => {
    const t = now();
    const hit = entries.get(key);
    if (hit && hit.expires > t) {
      onHit(key);
      return hit.value as Promise<T | undefined>;
    }
    if (entries.size > 10_000) entries.clear(); // bounded: namespaces x ServiceAccounts stay far below this
    const entry: { expires: number; value: Promise<unknown> } = { expires: t + ttlMs, value: Promise.resolve(undefined) };
    entry.value = withTimeout(load(), timeout).then((value) => {
      if (keep && !keep(value) && entries.get(key) === entry) entries.delete(key);
      return value;
    }, () => {
      entry.expires = now() + errorTtl;
      return undefined;
    });
    entries.set(key, entry);
    return entry.value as Promise<T | undefined>;
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
