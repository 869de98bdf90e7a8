// The one offline ClusterView: the policy's questions answered from a snapshot, for dry-run and audit alike (files
// or a live read). It answers what the snapshot shows and says "could not check" (undefined) for what it cannot
// know: a folder of manifests knows the objects in it, never the absence of others. It reads the snapshot's index
// (./index.ts), O(1) per question; what the webhook would have stored is kept beside it, never written into it.
import type { KubeObject } from '../kube/objects.ts';
import { isExceptionObject } from '../policy/exceptions.ts';
import type { ClusterView } from '../policy/types.ts';
import { indexSnapshot, objectKey, type SnapshotIndex } from './index.ts';
import type { Snapshot } from './snapshot.ts';

export interface SnapshotClusterView extends ClusterView {
  /** Replace an object by its mutated version, so later questions see what the webhook would have stored. */
  update(obj: KubeObject, namespace: string): void;
}

/** A view of `snapshot` (indexed here), or of an index already built (`imagePatterns` is then unused). */
/** `now`: the clock exceptions' expiry is judged by, read once at the edge for the whole run. */
export function snapshotClusterView(snapshot: Snapshot | SnapshotIndex, imagePatterns: RegExp[] = [], now = Date.now()): SnapshotClusterView {
  const index = 'haByCluster' in snapshot ? snapshot : indexSnapshot(snapshot, imagePatterns);
  const facts = index.snapshot.facts;
  const stored = new Map<string, KubeObject>();
  const get = (kind: string, ns: string, name: string): KubeObject | undefined => {
    if (stored.size > 0) {
      const s = stored.get(objectKey(kind, ns, name));
      if (s) return s;
    }
    return index.get(kind, ns, name);
  };
  // FlinkHAExceptions given (files) or listed (a live read), each placed in the namespace it lands in.
  const exceptions: KubeObject[] = [];
  for (const { entry: { object }, namespace } of index.objects) {
    if (isExceptionObject(object)) exceptions.push(object.metadata?.namespace ? object : { ...object, metadata: { ...object.metadata, namespace } });
  }
  const complete = facts?.workloadsComplete === true;

  return {
    update: (obj, ns) => {
      if (obj.kind && obj.metadata?.name) stored.set(objectKey(obj.kind, obj.kind === 'Namespace' ? '' : ns, obj.metadata.name), obj);
    },
    namespaceMeta: (ns) => {
      const obj = get('Namespace', '', ns);
      return Promise.resolve(obj ? { labels: obj.metadata?.labels ?? {}, annotations: obj.metadata?.annotations ?? {} } : undefined);
    },
    serviceAccountExists: (ns, name) => {
      if (facts?.serviceAccounts) return Promise.resolve(facts.serviceAccounts.has(`${ns}/${name}`));
      return Promise.resolve(get('ServiceAccount', ns, name) ? true : undefined);
    },
    serviceAccountCanManageConfigMaps: (ns, name) => Promise.resolve(facts?.serviceAccountRights?.get(`${ns}/${name}`)),
    // Only a complete listing proves uniqueness; what a manifest set shows is offered as "known" (duplicates only).
    // Cluster-ids as the objects are given: a mutation derives the same id it would have derived here.
    flinkClusterIds: (ns) => Promise.resolve(complete ? (index.clusterIdsByNamespace.get(ns) ?? []) : undefined),
    knownFlinkClusterIds: (ns) => Promise.resolve(index.clusterIdsByNamespace.get(ns) ?? []),
    namespaceHoldsHaState: (ns) => Promise.resolve(index.haNamespaces.has(ns) ? true : complete ? false : undefined),
    // A manifest set shows the HA ConfigMaps it holds; only a complete listing proves a cluster has none.
    haConfigMapsOf: (ns, clusterId) => Promise.resolve(index.haByCluster.get(`${ns}/${clusterId}`) ?? (complete ? [] : undefined)),
    configMap: (ns, name) => Promise.resolve(get('ConfigMap', ns, name)),
    exceptions: () => ({ objects: exceptions, now }),
    flinkDeployment: (ns, name) => Promise.resolve(get('FlinkDeployment', ns, name) ?? (complete ? null : undefined)),
    // A Pod the snapshot holds; the absence of one proves nothing (a snapshot lists no Pods it was not given).
    boundPod: (ns, name) => {
      const pod = get('Pod', ns, name);
      const spec = pod?.spec as { serviceAccountName?: string; serviceAccount?: string } | undefined;
      const uid: unknown = pod?.metadata?.uid;
      return Promise.resolve(pod ? { uid: typeof uid === 'string' ? uid : '', serviceAccountName: String(spec?.serviceAccountName || spec?.serviceAccount || 'default') } : undefined);
    },
  };
}
