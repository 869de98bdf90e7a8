// The ClusterView of a running webhook, answered by the API server. Every answer is cached for a short TTL so
// the admission path rarely waits, and every failure (timeout, RBAC, network) answers `undefined`: "could not
// check", which the rules report instead of guessing. The webhook's RBAC must allow exactly these reads.
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
}

export function apiClusterView(kubeConfig: KubeConfig, options: ApiClusterViewOptions = {}): ClusterView {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const cached = ttlCache(options);
  const patterns = (options.imagePatterns ?? []).map((p) => new RegExp(p));

  const view: ClusterView = {
    namespaceMeta: (namespace) =>
      cached(`ns/${namespace}`, async () => {
        const ns = await core.readNamespace({ name: namespace });
        return { labels: ns.metadata?.labels ?? {}, annotations: ns.metadata?.annotations ?? {} };
      }),

    serviceAccountExists: (namespace, name) =>
      cached(`sa/${namespace}/${name}`, async () => {
        try {
          await core.readNamespacedServiceAccount({ name, namespace });
          return true;
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return false;
          throw err;
        }
      }),

    // A SubjectAccessReview asks about the Flink ServiceAccount; a SelfSubjectAccessReview would ask about us.
    serviceAccountCanManageConfigMaps: (namespace, name) =>
      cached(`sar/${namespace}/${name}`, async () => {
        const answers = await Promise.all(configMapRightsReviews(namespace, name).map((body) => authz.createSubjectAccessReview({ body })));
        return answers.every((a) => a.status?.allowed === true);
      }),

    // Every JobManager side of the namespace: FlinkDeployments, and the standalone/native JobManager Deployments
    // and Jobs (operator-owned ones are their FlinkDeployment, when that is shown: listedAsCluster). The owner is
    // `Kind/name`, as the policy compares.
    flinkClusterIds: (namespace) =>
      cached(`ids/${namespace}`, async () => {
        const [crs, deployments, jobs] = await Promise.all([
          listFlinkDeployments(custom, namespace),
          apps.listNamespacedDeployment({ namespace }),
          batch.listNamespacedJob({ namespace }),
        ]);
        const ids = crs.map(({ name }) => ({ clusterId: name, owner: `FlinkDeployment/${name}` }));
        const uids = new Map(crs.map((fd) => [fd.name, fd]));
        const workloads: KubeObject[] = [
          ...deployments.items.map((d) => ({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' })),
          ...jobs.items.map((j) => ({ ...j, apiVersion: 'batch/v1', kind: 'Job' })),
        ];
        for (const obj of workloads) {
          const id = await jobManagerClusterId(obj, namespace, (name) => uids.get(name));
          if (id) ids.push({ clusterId: id, owner: `${obj.kind}/${obj.metadata?.name ?? ''}` });
        }
        return ids;
        // Not reused across reviews: only JobManager-side admissions ask (rare), and a cached listing would let two
        // clusters with one id in through the same window. Concurrent reviews still share the one listing.
      }, 0),

    // The Flink config ConfigMap a workload mounts: null when it does not exist (yet).
    configMap: (namespace, name) =>
      cached(`cm/${namespace}/${name}`, async () => {
        try {
          const cm = await core.readNamespacedConfigMap({ name, namespace });
          const obj: KubeObject = { ...cm, apiVersion: 'v1', kind: 'ConfigMap' };
          return obj;
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return null;
          throw err;
        }
      }),

    // A session job's session cluster: null when it does not exist (or the operator's CRD is not installed).
    flinkDeployment: (namespace, name) =>
      cached(`fd/${namespace}/${name}`, async () => {
        try {
          return (await custom.getNamespacedCustomObject({ group: 'flink.apache.org', version: 'v1beta1', namespace, plural: 'flinkdeployments', name })) as KubeObject;
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return null;
          throw err;
        }
      }),

    // The Pod a token names (requester.ts proves owners with it). Cached like the rest: a made-up Pod is absent
    // whenever asked, and a real Pod's uid and ServiceAccount never change.
    boundPod: (namespace, name) =>
      cached(`pod/${namespace}/${name}`, async () => {
        try {
          const pod = await core.readNamespacedPod({ name, namespace });
          return { uid: pod.metadata?.uid ?? '', serviceAccountName: pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default' };
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return null;
          throw err;
        }
      }),

    // Only "holds HA state" is reused: "none" lets a namespace deletion through, so it is asked afresh every time
    // (a cached "none" from a dry run would admit the real delete after Flink wrote its state). Concurrent askers
    // still share the one listing in flight.
    namespaceHoldsHaState: (namespace) =>
      cached(`ha/${namespace}`, async () => {
        // Every Flink version labels its HA ConfigMaps type=flink-native-kubernetes and app=<cluster-id>; only
        // 1.x adds configmap-type=high-availability (2.x dropped it: docs/real-flink.md). So select by type and
        // let the recogniser decide (the selection also holds native clusters' flink-config-<id> ConfigMaps).
        const list = await core.listNamespacedConfigMap({ namespace, labelSelector: 'type=flink-native-kubernetes' });
        return list.items.some((cm) => isHaConfigMap({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }));
      }, undefined, (holds) => holds === true),

    // Asked fresh every time (TTL 0: concurrent reviews still share one call): only FlinkDeployment, session-job and
    // JobManager admissions ask, and a cached "none" would let a delete or a duplicate through.
    haConfigMapsOf: (namespace, clusterId) =>
      cached(`hacm/${namespace}/${clusterId}`, async () => {
        const list = await core.listNamespacedConfigMap({ namespace, labelSelector: `type=flink-native-kubernetes,app=${clusterId}` });
        return list.items
          .map((cm): KubeObject => ({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }))
          .filter((cm) => haConfigMapClusterId(cm) === clusterId);
      }, 0),
  };

  /** The one cluster-id function (src/flink/cluster-id.ts), with the mounted config file read from the API. */
  const jobManagerClusterId = async (obj: KubeObject, namespace: string, flinkDeployment: (name: string) => { uid?: string } | undefined): Promise<string | undefined> => {
    const c = classify(obj, patterns);
    if (!listedAsCluster(obj, c, flinkDeployment)) return undefined;
    const mounted = c.shape === 'workload' ? mountedConfigMapName(c.podSpec, c.container) : undefined;
    const cm = mounted ? await view.configMap!(namespace, mounted) : undefined;
    return clusterIdOf(obj, c, cm);
  };
  return view;
}

/** FlinkDeployments (name, uid) of a namespace; none when the operator's CRD is not installed. */
async function listFlinkDeployments(custom: CustomObjectsApi, namespace: string): Promise<Array<{ name: string; uid?: string }>> {
  try {
    const list = (await custom.listNamespacedCustomObject({ group: 'flink.apache.org', version: 'v1beta1', namespace, plural: 'flinkdeployments' })) as {
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
function ttlCache(options: ApiClusterViewOptions): Cached {
  const ttl = options.ttlMs ?? 5000;
  const errorTtl = options.errorTtlMs ?? 1000;
  const timeout = options.callTimeoutMs ?? 2000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { expires: number; value: Promise<unknown> }>();
  return <T>(key: string, load: () => Promise<T>, ttlMs = ttl, keep?: (value: T) => boolean): Promise<T | undefined> => {
    const t = now();
    const hit = entries.get(key);
    if (hit && hit.expires > t) return hit.value as Promise<T | undefined>;
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
