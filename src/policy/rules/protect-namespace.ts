// protect-namespace: a namespace that still holds HA ConfigMaps is not deleted (the namespace controller would
// delete them all) unless it was released; when the webhook cannot tell, it refuses (fail closed). The release
// itself is set, changed or removed only by those who may release HA state (as on an HA ConfigMap).
import { stringMap } from '../../flink/ha-configmap.ts';
import { describeRequester, mayRelease } from '../requester.ts';
import { finding, type Rule, type Target } from '../target.ts';
import type { Finding } from '../types.ts';
import { releaseReason } from '../release.ts';

export const protectNamespace: Rule = {
  id: 'protect-namespace',
  title: 'Namespaces holding HA state are not deleted',
  help: 'Move or release the HA state before deleting the namespace: an owner of its HA state or a cluster admin annotates the namespace as released.',
  why: 'Deleting a namespace deletes every HA ConfigMap in it: all its Flink clusters lose their recovery state at once.',
  validate: async (t) => {
    if (t.classified.shape !== 'namespace') return [];
    const ns = typeof t.old?.metadata?.name === 'string' ? t.old.metadata.name : t.namespace;
    const released = stringMap(t.old?.metadata?.annotations)[t.config.releaseAnnotation];
    const label = t.config.haStateNamespaceLabel;
    const release = await releaseChange(t, ns);
    if (t.request.operation === 'CREATE') return release ? [release] : [];
    if (t.request.operation === 'UPDATE') {
      const unlabel = await unlabelling(t, ns, released, label);
      return [...(release ? [release] : []), ...unlabel];
    }
    if (t.request.operation !== 'DELETE') return [];
    if (releaseReason(released) !== undefined) {
      return [finding('protect-namespace', 'passed', `namespace ${ns} was released (${t.config.releaseAnnotation}=${released})`)];
    }
    const holds = await t.cluster.namespaceHoldsHaState(ns);
    if (holds === false) return [finding('protect-namespace', 'passed', `namespace ${ns} holds no HA ConfigMaps`)];
    const fix = `stop its Flink clusters first, or have an owner of its HA state or a cluster admin annotate the namespace ${t.config.releaseAnnotation}=<reason> to release it deliberately`;
    if (holds === undefined) {
      // Fail closed: deleting a namespace cannot be undone.
      return [finding('protect-namespace', 'denied', `could not check whether namespace ${ns} holds HA ConfigMaps; refusing a deletion that cannot be undone`, fix)];
    }
    return [finding('protect-namespace', 'denied', `namespace ${ns} still holds Flink HA ConfigMaps; deleting it loses the recovery state of its Flink clusters`, fix)];
  },
};

/**
 * A write that sets, changes or removes the namespace's release annotation: a released namespace is deleted with
 * every HA ConfigMap in it (the namespace controller may then delete them), so only mayRelease may, whether or not
 * the namespace holds HA state yet (Flink may write some the next moment). Undefined when the write leaves it be.
 */
async function releaseChange(t: Target, ns: string): Promise<Finding | undefined> {
  const key = t.config.releaseAnnotation;
  const before = t.request.operation === 'CREATE' ? undefined : stringMap(t.old?.metadata?.annotations)[key];
  const after = stringMap(t.draft?.metadata?.annotations)[key];
  if (before === after) return undefined;
  const what = before === undefined ? `sets ${key}=${String(after)} on` : after === undefined ? `removes ${key} from` : `changes ${key} on`;
  const who = describeRequester(t.request.requester);
  if (await mayRelease(t.request.requester, ns, t.config, t.cluster)) return finding('protect-namespace', 'passed', `${who} ${what} namespace ${ns} (an owner of its HA state or a cluster admin)`);
  return finding('protect-namespace', 'denied',
    `${who} may not set, change or remove ${key} on namespace ${ns}: a released namespace may be deleted with every HA ConfigMap in it`,
    `ask an owner of the namespace's HA state (its Flink or operator ServiceAccount), a configured allowedPrincipal or a cluster admin to set ${key}`);
}

/** An UPDATE that takes the fail-closed namespaces webhook's label off: only once no HA state remains. */
async function unlabelling(t: Target, ns: string, released: string | undefined, label: string): Promise<Finding[]> {
  // The label that puts the namespace under the fail-closed webhook: only the webhook takes it off, once the HA
  // state is gone; anyone else removing it would make the next deletion unguarded while the webhook is down.
  const removed = label !== '' && stringMap(t.old?.metadata?.labels)[label] !== undefined && stringMap(t.draft?.metadata?.labels)[label] === undefined;
  if (!removed) return [];
  if (releaseReason(released) !== undefined) return [finding('protect-namespace', 'passed', `namespace ${ns} was released; its ${label} label may go`)];
  const holds = await t.cluster.namespaceHoldsHaState(ns);
  if (holds === false) return [finding('protect-namespace', 'passed', `namespace ${ns} holds no HA ConfigMaps; its ${label} label may go`)];
  return [finding('protect-namespace', 'denied', `${holds ? 'namespace ' + ns + ' still holds Flink HA ConfigMaps' : `could not check whether namespace ${ns} holds HA ConfigMaps`}: the ${label} label keeps its deletion guarded even while the webhook is down`,
    `leave the label to the webhook (it removes it once the HA ConfigMaps are gone), or annotate the namespace ${t.config.releaseAnnotation}=<reason>`)];
}
