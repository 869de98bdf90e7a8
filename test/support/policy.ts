// Test helpers for the policy: fixtures by kind/name, requests, a fake ClusterView with answers set per test.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import jsonPatch from 'fast-json-patch';
import { defaultConfig } from '../../src/config/load.ts';
import type { WebhookConfig } from '../../src/config/types.ts';
import type { KubeObject } from '../../src/kube/objects.ts';
import { decide } from '../../src/policy/decide.ts';
import type { BoundPod, ClusterView, Decision, Operation, Phase, Requester } from '../../src/policy/types.ts';

const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** All objects of a fixture file (path relative to test/fixtures). */
export function fixtures(path: string): KubeObject[] {
  return yaml.loadAll(readFileSync(join(fixturesDir, path), 'utf8')).filter((d) => d !== null) as KubeObject[];
}

/** One object of a fixture file by kind (and name), as a fresh copy. */
export function fixture(path: string, kind: string, name?: string): KubeObject {
  const found = fixtures(path).find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''} in ${path}`);
  return structuredClone(found);
}

/** Deep-set a value in a copy: at(obj, 'spec.replicas', 3). */
export function withField(obj: KubeObject, path: string, value: unknown): KubeObject {
  const copy = structuredClone(obj) as Record<string, unknown>;
  const keys = path.split('.');
  let node = copy;
  for (const k of keys.slice(0, -1)) {
    node[k] ??= {};
    node = node[k] as Record<string, unknown>;
  }
  if (value === undefined) delete node[keys.at(-1)!];
  else node[keys.at(-1)!] = value;
  return copy;
}

export interface FakeCluster extends ClusterView {
  serviceAccounts: Set<string>;
  rights: Map<string, boolean>;
  clusterIds: Map<string, Array<{ clusterId: string; owner: string }>>;
  haNamespaces: Set<string>;
  namespaces: Map<string, { labels: Record<string, string>; annotations: Record<string, string> }>;
  configMaps: Map<string, KubeObject | null>;
  /** `ns/clusterId` -> its HA ConfigMaps; a namespace the fake knows with no entry holds none. */
  haConfigMaps: Map<string, KubeObject[]>;
  /** `ns/pod` -> the Pods that exist (an entry set to undefined: could not check); no entry: no such Pod. */
  pods: Map<string, BoundPod | null | undefined>;
  flinkDeployments: Map<string, KubeObject | null>;
}

/** The uid podBound() tokens carry, and the Pods of the fake cluster have. */
export const POD_UID = '0c7c2b36-1111-4a4a-9c9c-000000000001';

/** A cluster that knows what the test tells it; anything else is "could not check" (undefined). */
export function fakeCluster(init: Partial<Pick<FakeCluster, 'serviceAccounts' | 'rights' | 'clusterIds' | 'haNamespaces' | 'namespaces' | 'configMaps' | 'haConfigMaps' | 'pods' | 'flinkDeployments'>> = {}): FakeCluster {
  const c: FakeCluster = {
    serviceAccounts: init.serviceAccounts ?? new Set(['default/flink']),
    rights: init.rights ?? new Map([['default/flink', true]]),
    clusterIds: init.clusterIds ?? new Map([['default', []]]),
    haNamespaces: init.haNamespaces ?? new Set(),
    namespaces: init.namespaces ?? new Map([['default', { labels: {}, annotations: {} }]]),
    configMaps: init.configMaps ?? new Map(),
    haConfigMaps: init.haConfigMaps ?? new Map(),
    // The Pods FLINK_SA's and OPERATOR_SA's tokens are bound to, as they run.
    pods: init.pods ?? new Map([
      ['default/orders-etl-jobmanager-0', { uid: POD_UID, serviceAccountName: 'flink' }],
      ['flink-operator/flink-kubernetes-operator-5d8f', { uid: POD_UID, serviceAccountName: 'flink-operator' }],
    ]),
    flinkDeployments: init.flinkDeployments ?? new Map(),
    namespaceMeta: (ns) => Promise.resolve(c.namespaces.get(ns)),
    serviceAccountExists: (ns, name) => Promise.resolve(c.namespaces.has(ns) ? c.serviceAccounts.has(`${ns}/${name}`) : undefined),
    serviceAccountCanManageConfigMaps: (ns, name) => Promise.resolve(c.rights.get(`${ns}/${name}`) ?? (c.namespaces.has(ns) ? false : undefined)),
    flinkClusterIds: (ns) => Promise.resolve(c.clusterIds.get(ns)),
    namespaceHoldsHaState: (ns) => Promise.resolve(c.namespaces.has(ns) ? c.haNamespaces.has(ns) : undefined),
    configMap: (ns, name) => Promise.resolve(c.configMaps.has(`${ns}/${name}`) ? c.configMaps.get(`${ns}/${name}`) : undefined),
    haConfigMapsOf: (ns, id) => Promise.resolve(c.haConfigMaps.get(`${ns}/${id}`) ?? (c.namespaces.has(ns) ? [] : undefined)),
    boundPod: (ns, name) => Promise.resolve(c.pods.has(`${ns}/${name}`) ? c.pods.get(`${ns}/${name}`) : null),
    flinkDeployment: (ns, name) => Promise.resolve(c.flinkDeployments.has(`${ns}/${name}`) ? c.flinkDeployments.get(`${ns}/${name}`) : undefined),
  };
  return c;
}

export const TEMPLATE_CONFIG = (overrides: Record<string, unknown> = {}): WebhookConfig =>
  defaultConfig({ storageDirTemplate: 's3://flink-ha/{namespace}/{clusterId}', ...overrides });

export const PERSON: Requester = { username: 'alice@example.com', groups: ['developers', 'system:authenticated'] };
export const ADMIN: Requester = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
/** A pod's own token: the API server adds the pod it is bound to (what proves an owner ServiceAccount). */
export const podBound = (pod: string, uid = POD_UID) => ({ 'authentication.kubernetes.io/pod-name': [pod], 'authentication.kubernetes.io/pod-uid': [uid] });
export const FLINK_SA: Requester = { username: 'system:serviceaccount:default:flink', groups: ['system:serviceaccounts', 'system:serviceaccounts:default'], extra: podBound('orders-etl-jobmanager-0') };
export const OPERATOR_SA: Requester = { username: 'system:serviceaccount:flink-operator:flink-operator', groups: ['system:serviceaccounts'], extra: podBound('flink-kubernetes-operator-5d8f') };
/** The Flink ServiceAccount's name with no pod behind it: `kubectl --as=...` or a token from `kubectl create token flink`. */
export const FLINK_SA_IMPERSONATED: Requester = { username: 'system:serviceaccount:default:flink', groups: ['system:serviceaccounts', 'system:serviceaccounts:default'] };
export const GC: Requester = { username: 'system:serviceaccount:kube-system:generic-garbage-collector', groups: ['system:serviceaccounts'] };
export const ARGOCD: Requester = { username: 'system:serviceaccount:argocd:argocd-application-controller', groups: ['system:serviceaccounts'] };

export interface Ask {
  operation?: Operation;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  namespace?: string;
  requester?: Requester;
  config?: WebhookConfig;
  cluster?: ClusterView;
  phase?: Phase;
}

/** Runs the policy; objects without a namespace are put in `default`, as the API server would. */
export function ask(a: Ask): Promise<Decision> {
  const ns = a.namespace ?? 'default';
  const place = (o: KubeObject | null | undefined): KubeObject | null =>
    o ? (o.kind === 'Namespace' ? o : { ...o, metadata: { ...o.metadata, namespace: o.metadata?.namespace ?? ns } }) : null;
  const operation = a.operation ?? (a.object ? (a.oldObject ? 'UPDATE' : 'CREATE') : 'DELETE');
  return decide({
    operation,
    object: place(a.object),
    oldObject: place(a.oldObject),
    namespace: a.object?.kind === 'Namespace' || a.oldObject?.kind === 'Namespace' ? undefined : ns,
    requester: a.requester ?? PERSON,
    dryRun: false,
  }, { config: a.config ?? TEMPLATE_CONFIG(), cluster: a.cluster ?? fakeCluster() }, a.phase ?? 'both');
}

/** The findings of one rule, as `action` strings. */
export function actionsOf(d: Decision, rule: string): string[] {
  return d.findings.filter((f) => f.rule === rule).map((f) => f.action);
}

export function applyPatch(obj: KubeObject, d: Decision): KubeObject {
  return jsonPatch.applyPatch(structuredClone(obj), structuredClone(d.patch), true, false).newDocument;
}
