// The guards on Flink's HA ConfigMaps (leader addresses, job graphs, checkpoint pointers). Flink writes them with
// no ownerReference so they outlive a deleted Deployment; these rules keep careless deletes, stale applies and
// added ownerReferences from losing that state. Flink's own renewals never reach here (see the webhook config).
import { HA_LABELS, haConfigMapClusterId, isHaDataKey } from '../../flink/ha-configmap.ts';
import { isRecord } from '../../flink/workload.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { describeRequester, isAllowedPrincipal, mayRelease } from '../requester.ts';
import { finding, type Rule, type Target } from '../target.ts';

const GC = 'system:serviceaccount:kube-system:generic-garbage-collector';
const NAMESPACE_CONTROLLER = 'system:serviceaccount:kube-system:namespace-controller';

function haName(t: Target): string {
  const obj = t.old ?? t.draft;
  return `HA ConfigMap ${t.namespace}/${obj?.metadata?.name ?? ''} (cluster ${haConfigMapClusterId(obj) ?? '?'})`;
}

function releaseMark(obj: KubeObject | null, t: Target): string | undefined {
  const a = obj?.metadata?.annotations?.[t.config.releaseAnnotation];
  const exempt = obj?.metadata?.labels?.[t.config.exemptLabel] === 'true' ? 'exempt label' : undefined;
  return a !== undefined && a !== '' && a !== 'false' ? `${t.config.releaseAnnotation}=${a}` : exempt;
}

export const protectHaConfigMap: Rule = {
  id: 'protect-ha-configmap',
  title: 'HA ConfigMaps are deleted only by their owners',
  help: 'Let Flink or the operator delete HA state, or annotate the ConfigMap as released first.',
  why: 'Deleting an HA ConfigMap drops the job graphs and checkpoint pointers: the restarted cluster cannot recover its jobs from the latest checkpoint.',
  validate: async (t) => {
    if (t.classified.shape !== 'ha-configmap') return [];
    const who = describeRequester(t.request.requester);
    const { requester } = t.request;
    if (t.request.operation === 'UPDATE') {
      // Setting the release mark is the deliberate step before a delete: only someone allowed may take it.
      if (releaseMark(t.draft, t) !== undefined && releaseMark(t.old, t) === undefined && !mayRelease(requester, t.namespace, t.config)) {
        return [finding('protect-ha-configmap', 'denied', `${who} may not release ${haName(t)}: a release lets anyone delete the HA state`,
          `ask an owner (the Flink or operator ServiceAccount), a configured allowedPrincipal or a cluster admin to set ${t.config.releaseAnnotation}`)];
      }
      return [];
    }
    if (t.request.operation !== 'DELETE') return [];
    if (isAllowedPrincipal(requester, t.namespace, t.config)) {
      return [finding('protect-ha-configmap', 'passed', `${who} owns ${haName(t)} and may delete it`)];
    }
    const mark = releaseMark(t.old, t);
    if (mark) return [finding('protect-ha-configmap', 'passed', `${haName(t)} was released (${mark}); deletion allowed`)];
    if (requester.username === NAMESPACE_CONTROLLER) {
      const meta = await t.cluster.namespaceMeta(t.namespace);
      const released = meta?.annotations[t.config.releaseAnnotation];
      if (released !== undefined && released !== '' && released !== 'false') {
        return [finding('protect-ha-configmap', 'passed', `namespace ${t.namespace} was released; the namespace controller may delete ${haName(t)}`)];
      }
    }
    const why = requester.username === GC
      ? 'the garbage collector is deleting it, so something gave it an ownerReference'
      : 'deleting it loses the job graphs and checkpoint pointers the cluster recovers from';
    return [finding('protect-ha-configmap', 'denied', `${who} may not delete ${haName(t)}: ${why}`,
      `stop or delete the Flink cluster through its owner (FlinkDeployment, or the Flink cluster's own shutdown), or, if the state is truly unwanted, annotate the ConfigMap ${t.config.releaseAnnotation}=<reason> first (owners, allowedPrincipals or cluster admins)`)];
  },
};

export const noOwnerReference: Rule = {
  id: 'no-owner-reference',
  title: 'HA ConfigMaps carry no ownerReference',
  help: 'Remove the ownerReference: the garbage collector deletes the HA ConfigMap (and the checkpoint pointers) with its owner.',
  why: 'With an ownerReference the garbage collector deletes the HA ConfigMap together with its owner, and the cluster cannot recover its jobs.',
  validate: (t) => {
    if (t.classified.shape !== 'ha-configmap' || t.request.operation === 'DELETE' || !t.draft) return [];
    const before = new Set((t.old?.metadata?.ownerReferences ?? []).map((r) => r.uid));
    const added = (t.draft.metadata?.ownerReferences ?? []).filter((r) => !before.has(r.uid));
    if (added.length === 0) return [finding('no-owner-reference', 'passed', `${haName(t)} gains no ownerReference`)];
    return [finding('no-owner-reference', 'denied',
      `${describeRequester(t.request.requester)} adds an ownerReference (${added.map((r) => `${r.kind}/${r.name}`).join(', ')}) to ${haName(t)}: the garbage collector would delete it with its owner`,
      'remove the ownerReference; Flink keeps HA ConfigMaps unowned on purpose (clean them up through the Flink cluster or the operator)')];
  },
};

export const noHaDataStrip: Rule = {
  id: 'no-ha-data-strip',
  title: 'HA data keys and labels are not stripped',
  help: 'Do not apply stale copies of HA ConfigMaps; keep them out of git, Helm charts and Argo CD/Flux syncs.',
  why: 'A stale `kubectl apply` or a CD sync that removes or rewrites checkpoint pointers makes Flink recover from an old checkpoint, or not at all.',
  validate: (t) => {
    if (t.classified.shape !== 'ha-configmap' || t.request.operation !== 'UPDATE' || !t.draft || !t.old) return [];
    if (isAllowedPrincipal(t.request.requester, t.namespace, t.config)) return [];
    const before = dataOf(t.old);
    const after = dataOf(t.draft);
    const removed = Object.keys(before).filter((k) => isHaDataKey(k) && !(k in after));
    const changed = Object.keys(before).filter((k) => isHaDataKey(k) && k in after && after[k] !== before[k]);
    const labelsBefore = t.old.metadata?.labels ?? {};
    const labelsAfter = t.draft.metadata?.labels ?? {};
    const lostLabels = ['app', 'type', 'configmap-type'].filter((k) => labelsBefore[k] !== undefined && labelsAfter[k] !== labelsBefore[k]);
    if (removed.length + changed.length + lostLabels.length === 0) return [finding('no-ha-data-strip', 'passed', `the update keeps the HA data of ${haName(t)}`)];
    const parts = [
      removed.length ? `removes ${list(removed)}` : '',
      changed.length ? `rewrites ${list(changed)}` : '',
      lostLabels.length ? `changes the HA labels ${lostLabels.join(', ')} (Flink finds and cleans its ConfigMaps by ${HA_LABELS.type}/app labels)` : '',
    ].filter(Boolean);
    return [finding('no-ha-data-strip', 'denied', `${describeRequester(t.request.requester)} ${parts.join(' and ')} in ${haName(t)}; only Flink and the operator write HA data (a stale apply or sync would roll back the checkpoint pointers)`,
      'leave HA ConfigMaps out of manifests and CD apps (for Argo CD: exclude ConfigMaps labelled configmap-type=high-availability); change labels/annotations only')];
  },
};

export const protectNamespace: Rule = {
  id: 'protect-namespace',
  title: 'Namespaces holding HA state are not deleted',
  help: 'Move or release the HA state (annotate the namespace as released) before deleting the namespace.',
  why: 'Deleting a namespace deletes every HA ConfigMap in it: all its Flink clusters lose their recovery state at once.',
  validate: async (t) => {
    if (t.classified.shape !== 'namespace' || t.request.operation !== 'DELETE') return [];
    const ns = t.old?.metadata?.name ?? t.namespace;
    const released = t.old?.metadata?.annotations?.[t.config.releaseAnnotation];
    if (released !== undefined && released !== '' && released !== 'false') {
      return [finding('protect-namespace', 'passed', `namespace ${ns} was released (${t.config.releaseAnnotation}=${released})`)];
    }
    const holds = await t.cluster.namespaceHoldsHaState(ns);
    if (holds === false) return [finding('protect-namespace', 'passed', `namespace ${ns} holds no HA ConfigMaps`)];
    const fix = `stop its Flink clusters first, or annotate the namespace ${t.config.releaseAnnotation}=<reason> to release its HA state deliberately`;
    if (holds === undefined) {
      // Fail closed: deleting a namespace cannot be undone.
      return [finding('protect-namespace', 'denied', `could not check whether namespace ${ns} holds HA ConfigMaps; refusing a deletion that cannot be undone`, fix)];
    }
    return [finding('protect-namespace', 'denied', `namespace ${ns} still holds Flink HA ConfigMaps; deleting it loses the recovery state of its Flink clusters`, fix)];
  },
};

function dataOf(obj: KubeObject): Record<string, unknown> {
  return { ...(isRecord(obj.data) ? obj.data : {}), ...(isRecord(obj.binaryData) ? obj.binaryData : {}) };
}

function list(keys: string[]): string {
  return keys.length > 4 ? `${keys.slice(0, 4).join(', ')} and ${keys.length - 4} more` : keys.join(', ');
}
