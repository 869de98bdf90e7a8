// Reads what the audit needs from a live cluster, read-only, with paginated LISTs through @kubernetes/client-node:
// Flink workloads, Flink-labelled ConfigMaps (HA state, native config), the config ConfigMaps workloads mount,
// namespaces, ServiceAccounts and their ConfigMap rights (SubjectAccessReview), the webhook configurations.
// A refused listing is recorded as a missing permission and the rest goes on; an unreachable server is an error.
import { CustomObjectsApi, KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import type { WebhookConfig } from '../config/types.ts';
import type { KubeObject } from '../kube/objects.ts';
import { classify, isRecord, podSpecOf, serviceAccountOf } from '../flink/workload.ts';
import { configMapRightsReviews } from '../kube/configmap-rights.ts';
import { ClusterError, apiOutcome, asClusterError, loadKubeConfig, mapLimit, withTimeout as timed } from '../kube/api-client.ts';
import { subjectAccessReviewer, type Reviewer } from '../kube/access-review.ts';
import { jsonClient, type JsonClient } from '../kube/json-client.ts';
import { podExtraImpersonators, rbacGrantsConfigMapRights, type PodExtraImpersonator } from '../kube/rbac-rights.ts';
import type { Snapshot } from '../snapshot/snapshot.ts';

export { ClusterError, loadKubeConfig };

export interface ClusterReadOptions {
  kubeconfig?: string;
  context?: string;
  /** One namespace (`-n`); absent: the context's namespace, unless allNamespaces. */
  namespace?: string;
  allNamespaces: boolean;
  pageSize: number;
  /** Per request; a request that takes longer is a ClusterError of kind `timeout`. */
  timeoutMs: number;
  config: WebhookConfig;
  /**
   * Ask SubjectAccessReviews for the Flink ServiceAccounts' ConfigMap rights (default true). They are one request
   * per verb and ServiceAccount (6 x N), the costliest part of a big audit; without them those rights are unchecked.
   */
  rightsCheck?: boolean;
  /** Called as the listing goes on (the CLI shows it on a terminal only). */
  progress?: (text: string) => void;
}

export interface MissingPermission {
  verb: string;
  resource: string;
  /** Empty: cluster-wide. */
  namespace?: string;
  /** What the audit could not do without it. */
  consequence: string;
}

export interface ClusterRead {
  context: string;
  server: string;
  namespaces: string[] | 'all';
  /** The Flink objects and HA ConfigMaps read, with the cluster facts the policy's view and the checks use. */
  snapshot: Snapshot;
  missing: MissingPermission[];
  /** Optional APIs that are not served (the Flink operator's CRDs). */
  notInstalled: string[];
  /** LIST and GET requests made (pages count one each), for the bench. */
  requests: number;
  /** Wall time of the LIST stage and of the stage after it (mounted ConfigMaps, SubjectAccessReviews). */
  timings: { listMs: number; reviewMs: number };
}

interface ResourceSpec {
  apiVersion: string;
  kind: string;
  resource: string;
  labelSelector?: string;
  /** A CRD that may not be installed: listed through CustomObjectsApi (raw JSON, and its list metadata keeps the
   * continue token, which KubernetesObjectApi's generic deserializer drops for kinds it does not know). */
  custom?: { group: string; version: string; plural: string };
  /** Keep only what the audit needs from each page (bounded memory on big clusters). */
  keep: (obj: KubeObject) => boolean;
  /** A refusal is no missing permission to report: the audit has another way (RBAC objects, then reviews). */
  quiet?: boolean;
}


export async function readCluster(options: ClusterReadOptions): Promise<ClusterRead> {
  const kc = loadKubeConfig(options);
  const client = jsonClient(kc);
  const reviewer = subjectAccessReviewer(kc, client);
  try {
    return await readWith(options, kc, reviewer, client);
  } finally {
    reviewer.close();
  }
}

async function readWith(options: ClusterReadOptions, kc: KubeConfig, reviewer: Reviewer, client: JsonClient | undefined): Promise<ClusterRead> {
  const server = kc.getCurrentCluster()!.server;
  const objectApi = kc.makeApiClient(KubernetesObjectApi);
  const customs = kc.makeApiClient(CustomObjectsApi);
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const scope: string[] | 'all' = options.allNamespaces ? 'all' : [options.namespace ?? contextNamespace];
  const listNamespace = scope === 'all' ? undefined : scope[0];
  const missing: MissingPermission[] = [];
  const notInstalled: string[] = [];
  let requests = 0;

  const withTimeout = <T>(what: string, p: Promise<T>): Promise<T> => {
    requests++;
    return timed(p, options.timeoutMs, server, what);
  };

  /** Every page of one resource; undefined when refused or not served (recorded). */
  const listAll = async (spec: ResourceSpec, namespace: string | undefined, consequence: string): Promise<KubeObject[] | undefined> => {
    const out: KubeObject[] = [];
    let token: string | undefined;
    let seen = 0;
    do {
      let page: Page;
      try {
        page = await withTimeout(`list ${spec.resource}`, listPage(spec, namespace, token));
      } catch (err) {
        const outcome = apiOutcome(err, server, `list ${spec.resource}`);
        if (outcome === 'forbidden') {
          if (!spec.quiet) missing.push({ verb: 'list', resource: spec.resource, namespace, consequence });
          return undefined;
        }
        if (outcome === 'not-found' && spec.custom) {
          notInstalled.push(`${spec.resource} (${spec.apiVersion})`);
          return [];
        }
        throw asClusterError(outcome, server, `list ${spec.resource}`);
      }
      for (const item of page.items) {
        if (page.wire) {
          // Wire JSON already; list items carry no kind of their own.
          const obj = item as KubeObject;
          obj.apiVersion ??= spec.apiVersion;
          obj.kind ??= spec.kind;
          if (spec.keep(obj)) out.push(obj);
          continue;
        }
        // The typed model has the wire's field names, so the filter can read it as it is; only what is kept goes
        // back to wire JSON (dates as strings, no undefined keys). List items carry no kind of their own.
        const typed = item as KubeObject;
        if (!spec.keep({ ...typed, apiVersion: typed.apiVersion ?? spec.apiVersion, kind: typed.kind ?? spec.kind })) continue;
        const obj = JSON.parse(JSON.stringify(item)) as KubeObject;
        obj.apiVersion ??= spec.apiVersion;
        obj.kind ??= spec.kind;
        out.push(obj);
      }
      seen += page.items.length;
      options.progress?.(`listing ${spec.resource}: ${seen}`);
      token = page.metadata?._continue || page.metadata?.continue || undefined;
    } while (token !== undefined);
    return out;
  };

  /** `wire`: the items are the API server's JSON as sent (the JSON client), else client-node's typed models. */
  type Page = { items: unknown[]; metadata?: { _continue?: string; continue?: string }; wire?: boolean };
  const listPage = async (spec: ResourceSpec, namespace: string | undefined, token: string | undefined): Promise<Page> => {
    if (client) {
      const [group, version] = spec.custom ? [spec.custom.group, spec.custom.version] : spec.apiVersion.includes('/') ? spec.apiVersion.split('/') : ['', spec.apiVersion];
      const plural = spec.custom?.plural ?? spec.resource.split('.')[0]!;
      const query = new URLSearchParams({ limit: String(options.pageSize) });
      if (spec.labelSelector) query.set('labelSelector', spec.labelSelector);
      if (token) query.set('continue', token);
      const path = `${group ? `/apis/${group}` : '/api'}/${version}${namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`}/${plural}?${query.toString()}`;
      const list = (await client.get(path)) as { items?: unknown; metadata?: { continue?: string } };
      return { items: Array.isArray(list.items) ? list.items : [], metadata: list.metadata, wire: true };
    }
    if (spec.custom) {
      const { group, version, plural } = spec.custom;
      const common = { group, version, plural, labelSelector: spec.labelSelector, limit: options.pageSize, _continue: token };
      const raw = namespace === undefined ? customs.listClusterCustomObject(common) : customs.listNamespacedCustomObject({ ...common, namespace });
      return raw as Promise<Page>;
    }
    return objectApi.list(spec.apiVersion, spec.kind, namespace, undefined, undefined, undefined, undefined, spec.labelSelector, options.pageSize, token);
  };

  const patterns = options.config.imagePatterns.map((p) => new RegExp(p));
  // What the policy recognises as a Flink process (or a Flink-labelled object it cannot read, which it reports).
  const isFlink = (obj: KubeObject) => ['workload', 'invalid'].includes(classify(obj, patterns).shape);
  const everything = () => true;
  const workloadSpecs: ResourceSpec[] = [
    { apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', resource: 'flinkdeployments.flink.apache.org', custom: { group: 'flink.apache.org', version: 'v1beta1', plural: 'flinkdeployments' }, keep: everything },
    { apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkSessionJob', resource: 'flinksessionjobs.flink.apache.org', custom: { group: 'flink.apache.org', version: 'v1beta1', plural: 'flinksessionjobs' }, keep: everything },
    { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments.apps', keep: isFlink },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', resource: 'statefulsets.apps', keep: isFlink },
    { apiVersion: 'batch/v1', kind: 'Job', resource: 'jobs.batch', keep: isFlink },
    { apiVersion: 'v1', kind: 'Pod', resource: 'pods', keep: isFlink },
  ];
  const t0 = performance.now();
  let reviewsRefused = false;
  let grantedByRbac: ((namespace: string, serviceAccount: string) => boolean) | undefined;
  const serviceAccountsListed = listAll({ apiVersion: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', keep: everything }, listNamespace, 'ServiceAccounts of Flink workloads were not checked for existence');
  // The HA ServiceAccounts' rights are asked as soon as the (small) ServiceAccount list is in, while the big
  // listings are still paging: SubjectAccessReviews are one request per verb and would otherwise come last.
  // RBAC itself, four LISTs: what it grants needs no review (only what it does not grant is asked, as another
  // authorizer may still allow it). Without the right to list it, every ServiceAccount is asked as before.
  const rbacRead = options.rightsCheck === false ? Promise.resolve(undefined) : readRbac();
  let impersonators: PodExtraImpersonator[] | undefined;
  const earlyRights = Promise.all([serviceAccountsListed, rbacRead]).then(([list, rbac]) => {
    grantedByRbac = rbac?.granted;
    impersonators = rbac?.impersonators;
    return serviceAccountRights((list ?? []).filter((sa) => sa.metadata?.name === options.config.haServiceAccount).map((sa) => `${sa.metadata?.namespace}/${sa.metadata?.name}`));
  });
  earlyRights.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
  // Stage 1, every LIST at once: the audit's wall time is the slowest listing, not their sum.
  const [lists, namespaceObjects, serviceAccountList, mutating, validating, exceptions] = await Promise.all([
    Promise.all([
      ...workloadSpecs.map((s) => listAll(s, listNamespace, `${s.kind}s were not audited, and orphaned HA state cannot be told apart`)),
      // Every HA ConfigMap carries type=flink-native-kubernetes (in standalone mode too), and so do native config maps.
      listAll(
        { apiVersion: 'v1', kind: 'ConfigMap', resource: 'configmaps', labelSelector: 'type=flink-native-kubernetes', keep: everything },
        listNamespace,
        'HA ConfigMaps were not audited (ownerReferences, orphaned state, coverage)',
      ),
    ]),
    readNamespaces(),
    serviceAccountsListed,
    listAll({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', resource: 'mutatingwebhookconfigurations.admissionregistration.k8s.io', keep: everything }, undefined, 'whether the webhook is installed was not checked'),
    listAll({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', resource: 'validatingwebhookconfigurations.admissionregistration.k8s.io', keep: everything }, undefined, 'whether the webhook is installed and covers every namespace was not checked'),
    // Every namespace's, whatever the scope: the exceptions that count live in the webhook's namespaces, not the audited one.
    listAll({ apiVersion: 'flink-ha.io/v1alpha1', kind: 'FlinkHAException', resource: 'flinkhaexceptions.flink-ha.io', custom: { group: 'flink-ha.io', version: 'v1alpha1', plural: 'flinkhaexceptions' }, keep: everything }, undefined, 'FlinkHAExceptions were not read: none is applied, and expired ones are not reported'),
  ]);
  const workloadLists = lists.slice(0, workloadSpecs.length);
  const workloads = workloadLists.flatMap((l) => l ?? []);
  const configMaps = lists.at(-1) ?? [];

  // The Flink config ConfigMaps that standalone workloads mount: few, fetched by name.
  const haveConfigMap = new Set(configMaps.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`));
  const wanted = new Set<string>();
  for (const w of workloads) {
    for (const v of arrayOf(podSpecOf(w)?.volumes)) {
      const name = isRecord(v) && isRecord(v.configMap) ? v.configMap.name : undefined;
      const key = `${w.metadata?.namespace}/${String(name)}`;
      if (typeof name === 'string' && !haveConfigMap.has(key)) wanted.add(key);
    }
  }
  // ConfigMap rights of every ServiceAccount a Flink workload names, and of the HA ServiceAccount where Flink runs.
  const accounts = new Set<string>();
  for (const w of workloads) {
    const c = classify(w, patterns);
    const namespace = w.metadata?.namespace ?? 'default';
    if (c.shape === 'workload') accounts.add(`${namespace}/${serviceAccountOf(c.podSpec)}`);
    else if (c.shape === 'flinkdeployment' && isRecord(w.spec) && typeof w.spec.serviceAccount === 'string') accounts.add(`${namespace}/${w.spec.serviceAccount}`);
    else if (c.shape !== 'flink-session-job') continue;
    accounts.add(`${namespace}/${options.config.haServiceAccount}`);
  }
  // Stage 2, what depends on the workloads: their mounted config maps and their ServiceAccounts' rights.
  const t1 = performance.now();
  const early = await earlyRights;
  const [mounted, late] = await Promise.all([readMounted(), serviceAccountRights([...accounts].filter((k) => !early.has(k)))]);
  const rights = reviewsRefused || options.rightsCheck === false ? undefined : new Map([...early, ...late]);
  if (reviewsRefused) {
    missing.push({ verb: 'create', resource: 'subjectaccessreviews.authorization.k8s.io', consequence: 'the ConfigMap rights of Flink ServiceAccounts were not checked' });
  }
  const timings = { listMs: t1 - t0, reviewMs: performance.now() - t1 };

  const objects = [...workloads, ...configMaps, ...mounted.filter((m): m is KubeObject => m !== undefined), ...(exceptions ?? [])].map((object) => ({ object }));
  return {
    context: kc.getCurrentContext(),
    server,
    namespaces: scope,
    snapshot: {
      objects,
      defaultNamespace: scope === 'all' ? 'default' : (scope[0] ?? 'default'),
      facts: {
        namespaces: namespaceObjects,
        serviceAccounts: serviceAccountList ? new Set(serviceAccountList.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)) : undefined,
        serviceAccountRights: rights,
        webhookConfigurations: mutating && validating ? { mutating, validating } : undefined,
        podExtraImpersonators: impersonators,
        workloadsComplete: workloadLists.every((l) => l !== undefined) && lists.at(-1) !== undefined,
      },
    },
    missing,
    notInstalled,
    requests,
    timings,
  };

  function readMounted(): Promise<Array<KubeObject | undefined>> {
    return mapLimit([...wanted], 8, async (key) => {
    const [namespace, name] = key.split('/') as [string, string];
    try {
      const cm = await withTimeout(`get configmap ${key}`, objectApi.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name } }));
      const obj = JSON.parse(JSON.stringify(cm)) as KubeObject;
      obj.apiVersion ??= 'v1';
      obj.kind ??= 'ConfigMap';
      return obj;
    } catch (err) {
      const outcome = apiOutcome(err, server, `get configmap ${key}`);
      if (outcome === 'forbidden') {
        if (!missing.some((m) => m.verb === 'get' && m.resource === 'configmaps' && m.namespace === namespace)) {
          missing.push({ verb: 'get', resource: 'configmaps', namespace, consequence: 'the Flink config ConfigMaps that workloads mount were not audited' });
        }
        return undefined;
      }
      if (outcome === 'not-found') return undefined;
      throw asClusterError(outcome, server, `get configmap ${key}`);
    }
  });
  }

  async function readRbac(): Promise<{ granted: (namespace: string, serviceAccount: string) => boolean; impersonators: PodExtraImpersonator[] } | undefined> {
    // Raw JSON pages (the custom-objects path serves any API group): no typed model to build for objects only read here.
    const rbac = (kind: string, plural: string, namespaced: boolean) =>
      listAll({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind, resource: `${plural}.rbac.authorization.k8s.io`, keep: everything, quiet: true,
        custom: { group: 'rbac.authorization.k8s.io', version: 'v1', plural },
      }, namespaced ? listNamespace : undefined, '');
    const [roles, roleBindings, clusterRoles, clusterRoleBindings] = await Promise.all([
      rbac('Role', 'roles', true), rbac('RoleBinding', 'rolebindings', true), rbac('ClusterRole', 'clusterroles', false), rbac('ClusterRoleBinding', 'clusterrolebindings', false),
    ]);
    if (!roles || !roleBindings || !clusterRoles || !clusterRoleBindings) return undefined;
    const rbacObjects = { roles, roleBindings, clusterRoles, clusterRoleBindings };
    return { granted: rbacGrantsConfigMapRights(rbacObjects), impersonators: podExtraImpersonators(rbacObjects) };
  }

  async function readNamespaces(): Promise<KubeObject[] | undefined> {
    if (scope === 'all') return listAll({ apiVersion: 'v1', kind: 'Namespace', resource: 'namespaces', keep: everything }, undefined, 'namespace labels (exemptions, modes) were not read');
    const out: KubeObject[] = [];
    for (const name of scope) {
      try {
        const ns = await withTimeout(`get namespace ${name}`, objectApi.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
        out.push({ ...(JSON.parse(JSON.stringify(ns)) as KubeObject), apiVersion: 'v1', kind: 'Namespace' });
      } catch (err) {
        const outcome = apiOutcome(err, server, `get namespace ${name}`);
        if (outcome === 'forbidden') {
          missing.push({ verb: 'get', resource: 'namespaces', consequence: 'namespace labels (exemptions, modes) were not read' });
          return undefined;
        }
        if (outcome !== 'not-found') throw asClusterError(outcome, server, `get namespace ${name}`);
      }
    }
    return out;
  }

  /** May each `namespace/name` ServiceAccount manage ConfigMaps? Sets reviewsRefused when we may not ask. */
  async function serviceAccountRights(keys: string[]): Promise<Map<string, boolean | undefined>> {
    const out = new Map<string, boolean | undefined>();
    if (options.rightsCheck === false) return out;
    // 6 reviews per ServiceAccount, 8 ServiceAccounts at a time: ~48 in flight over the reviewer's kept-alive sockets.
    await mapLimit(keys, 8, async (key) => {
      if (reviewsRefused) return;
      const [namespace, name] = key.split('/') as [string, string];
      if (grantedByRbac?.(namespace, name)) {
        out.set(key, true);
        return;
      }
      const answers = await Promise.all(
        configMapRightsReviews(namespace, name).map(async (body) => {
          try {
            const review = await withTimeout('a SubjectAccessReview', reviewer.review(body));
            return review.status?.allowed === true;
          } catch (err) {
            const outcome = apiOutcome(err, server, 'create subjectaccessreviews');
            if (outcome === 'forbidden') {
              reviewsRefused = true;
              return undefined;
            }
            throw asClusterError(outcome, server, 'create subjectaccessreviews');
          }
        }),
      );
      out.set(key, answers.includes(undefined) ? undefined : answers.every(Boolean));
    });
    return out;
  }
}



function arrayOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

