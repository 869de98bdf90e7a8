// One model of "what we were given", for every offline face: the objects read from files or from an API server,
// each with its origin, and (for a live read) what else was listed and which lists are complete. sources/ build it;
// it is indexed once (./index.ts), and dry-run and audit judge it through one snapshot-backed ClusterView
// (./cluster-view.ts) and one judge (./judge.ts); the audit's whole-cluster checks read the same index.
import type { PodExtraImpersonator } from '../kube/rbac-rights.ts';
import type { KubeObject } from '../kube/objects.ts';

/** Where a manifest was read: every face and report points at an object by this (`file:line items[N]`). */
export interface ManifestOrigin {
  /** Path as given (or `-` for stdin). */
  file: string;
  /** 0-based index of the document in its file (items of a List share their document's index). */
  index: number;
  /** 1-based line where the document starts (a List's, for its items). */
  line: number;
  /** 0-based index of the item, for an object that is an item of a `List` document. */
  item?: number;
}

/** An object and where it came from: a manifest's origin, none for an object an API server listed. */
export interface SnapshotObject {
  object: KubeObject;
  origin?: ManifestOrigin;
}

/**
 * What a live read adds: the lists it made besides the judged objects, and which of them are complete. Absent
 * fields were not readable. A folder of manifests has no facts: it says nothing about objects it does not hold.
 */
export interface ClusterFacts {
  namespaces?: KubeObject[];
  /** `namespace/name` of every ServiceAccount in the scanned namespaces. */
  serviceAccounts?: Set<string>;
  /** `namespace/name` -> may it get/list/watch/create/update/delete ConfigMaps in its namespace? */
  serviceAccountRights?: Map<string, boolean | undefined>;
  webhookConfigurations?: { mutating: KubeObject[]; validating: KubeObject[] };
  /** Who RBAC lets impersonate ServiceAccounts with a pod-bound token's extras (undefined: RBAC not read). */
  podExtraImpersonators?: PodExtraImpersonator[];
  /** Every Flink workload kind and the HA ConfigMaps could be listed in full, so absence is a fact. */
  workloadsComplete: boolean;
}

export interface Snapshot {
  objects: SnapshotObject[];
  /** The namespace of objects that name none (kubectl's current namespace). */
  defaultNamespace: string;
  /** Live reads only. */
  facts?: ClusterFacts;
}

/** The namespace an object lands in: its own, else the snapshot's default; '' for cluster-scoped Namespaces. */
export function namespaceOf(obj: KubeObject, defaultNamespace: string): string {
  return obj.kind === 'Namespace' ? '' : (obj.metadata?.namespace ?? defaultNamespace);
}
