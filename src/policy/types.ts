// The policy's interface: what goes in (a PolicyRequest and a PolicyContext) and what comes out (a Decision).
// The webhook, dry-run and audit all call `decide` (src/policy/decide.ts) with these; only the edges differ.
import type { Operation as JsonPatchOperation } from 'fast-json-patch';
import type { WebhookConfig } from '../config/types.ts';
import type { KubeObject } from '../kube/objects.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** Which webhook is asking: the mutating one runs mutate rules, the validating one validate rules; dry-run and audit run both. */
export type Phase = 'mutate' | 'validate' | 'both';

export interface Requester {
  username: string;
  groups?: string[];
  /** userInfo.extra: e.g. `authentication.kubernetes.io/pod-name` on a pod-bound ServiceAccount token. */
  extra?: Record<string, string[]>;
}

export interface PolicyRequest {
  operation: Operation;
  /** The object after the operation (null on DELETE). */
  object: KubeObject | null;
  /** The stored object before the operation (UPDATE and DELETE; null on CREATE). */
  oldObject: KubeObject | null;
  /** Namespace of the request (for namespaced objects); the object's own namespace when absent. */
  namespace?: string;
  requester: Requester;
  dryRun: boolean;
  /**
   * What the API server says is under review (request.kind.kind, request.name), when the request came through
   * the webhook: lets the policy notice a review whose objects do not match it.
   */
  kind?: string;
  name?: string;
}

export type RuleId =
  | 'ha-enabled'
  | 'ha-storage-dir'
  | 'cluster-id'
  | 'ha-namespace'
  | 'standby-jobmanagers'
  | 'pod-ip-address'
  | 'ha-service-account'
  | 'protect-ha-configmap'
  | 'no-owner-reference'
  | 'no-ha-data-strip'
  | 'protect-namespace'
  | 'protect-flink-deployment'
  | 'checkpoint-dir'
  | 'policy-error'
  // Notes on exemptions, not rules: which FlinkHAException applies (or is expired, misplaced, malformed), and
  // objects still carrying the retired exempt label. Never exempted themselves.
  | 'flink-ha-exception'
  | 'legacy-exempt-label';

/**
 * mutated: the webhook changed the object; denied: the request is refused; warned: allowed, with a warning
 * (warn mode, or a check that could only warn); exempt: the rule would have acted, but an exemption applies;
 * unchecked: the rule needs the cluster and could not ask it (offline dry-run); passed: compliant.
 */
export type Action = 'mutated' | 'denied' | 'warned' | 'exempt' | 'unchecked' | 'passed';

export interface Finding {
  rule: RuleId;
  action: Action;
  /** What is wrong and what breaks without the rule. */
  message: string;
  /** How to fix it. */
  fix?: string;
}

export interface Decision {
  allowed: boolean;
  /** JSON patch from the request object to `object`; empty when nothing changed. */
  patch: JsonPatchOperation[];
  /** The object after the patch (the request object when nothing changed; null on DELETE). */
  object: KubeObject | null;
  findings: Finding[];
  /** Set when denied: HTTP-like code and a message that says what to do. */
  status?: { code: number; message: string };
  /** Admission warnings (each names its rule id). */
  warnings: string[];
  /** Audit annotations keyed `<rule-id>` (the API server prefixes the webhook name). */
  auditAnnotations: Record<string, string>;
  /** What the policy recognised the object as (for logs, metrics and reports). */
  subject: string;
}

export type Mode = WebhookConfig['mode'];

/**
 * What rules may ask of the cluster. The server answers from the API server; unit tests use a fake;
 * offline dry-run answers `undefined` ("could not check"), and rules then say so instead of pretending.
 */
export interface ClusterView {
  /** Labels and annotations of a namespace, or undefined when unknown. */
  namespaceMeta(namespace: string): Promise<{ labels: Record<string, string>; annotations: Record<string, string> } | undefined>;
  serviceAccountExists(namespace: string, name: string): Promise<boolean | undefined>;
  /** Can this ServiceAccount get/list/watch/create/update/delete ConfigMaps in its namespace? */
  serviceAccountCanManageConfigMaps(namespace: string, name: string): Promise<boolean | undefined>;
  /**
   * The Flink clusters of a namespace, as (cluster-id, owner) pairs, where owner is `Kind/name` of the workload
   * that runs it. Used for cluster-id uniqueness.
   */
  flinkClusterIds(namespace: string): Promise<Array<{ clusterId: string; owner: string }> | undefined>;
  /**
   * Optional: the Flink clusters of a namespace this view has seen, when it cannot list them all (a manifest set).
   * A duplicate among them is a fact; their uniqueness says nothing about objects the view has not seen.
   */
  knownFlinkClusterIds?(namespace: string): Promise<Array<{ clusterId: string; owner: string }>>;
  /** Does the namespace hold HA ConfigMaps? */
  namespaceHoldsHaState(namespace: string): Promise<boolean | undefined>;
  /**
   * Optional: the HA ConfigMaps of one Flink cluster (labels `app=<clusterId>`, `type=flink-native-kubernetes`, as
   * Flink writes them and the operator cleans them up), `[]` when it has none, `undefined` = could not check. Always
   * asked fresh: an empty answer must never come from a cache, because guards deny or warn on it; only `use:
   * 'warning'` (the caller only warns on the answer, never allows a destructive write) may be answered from a watch.
   */
  haConfigMapsOf?(namespace: string, clusterId: string, use?: 'guard' | 'warning'): Promise<KubeObject[] | undefined>;
  /** Optional (see ConfigMapLookup); absent means "could not check". */
  configMap?: ConfigMapLookup;
  /** Optional: a FlinkDeployment (a session job's session cluster); `null` = it does not exist, `undefined` = could not check. */
  flinkDeployment?: (namespace: string, name: string) => Promise<KubeObject | null | undefined>;
  /**
   * Optional: the Pod a ServiceAccount token names in its user extras (what proves an owner: see requester.ts).
   * `null` = no such Pod, `undefined` = could not check (absent means the same). A cached answer is fine: a made-up
   * Pod never exists, and a deleted Pod's own tokens stop working anyway.
   */
  boundPod?: (namespace: string, name: string) => Promise<BoundPod | null | undefined>;
  /**
   * Optional: the FlinkHAException objects known (every namespace; the policy picks the ones that count) and the
   * time to judge their expiry by. `undefined` = could not read them (the watch has not synced): none applies,
   * and the review says so. Absent: there are none (an offline view with no exceptions given).
   */
  exceptions?: () => ExceptionsView | undefined;
}

/** The exceptions a view knows, with the clock read at the edge (the policy reads no clock). */
export interface ExceptionsView {
  objects: readonly KubeObject[];
  now: number;
}

/** What proves a pod-bound token: the Pod's uid and the ServiceAccount it runs as. */
export interface BoundPod {
  uid: string;
  serviceAccountName: string;
}

export interface PolicyContext {
  config: WebhookConfig;
  cluster: ClusterView;
}

/** A ClusterView that knows nothing: every question is answered "could not check". */
export const OFFLINE_CLUSTER: ClusterView = {
  namespaceMeta: () => Promise.resolve(undefined),
  serviceAccountExists: () => Promise.resolve(undefined),
  serviceAccountCanManageConfigMaps: () => Promise.resolve(undefined),
  flinkClusterIds: () => Promise.resolve(undefined),
  namespaceHoldsHaState: () => Promise.resolve(undefined),
};

/**
 * Optional: read a ConfigMap (the Flink config a workload mounts). `null` = it does not exist,
 * `undefined` = could not check. Offline dry-run answers from the manifests it was given.
 */
export type ConfigMapLookup = (namespace: string, name: string) => Promise<KubeObject | null | undefined>;
