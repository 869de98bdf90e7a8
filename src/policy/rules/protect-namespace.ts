// protect-namespace: a namespace that still holds HA ConfigMaps is not deleted (the namespace controller would
// delete them all) unless it was released; when the webhook cannot tell, it refuses (fail closed).
import { stringMap } from '../../flink/ha-configmap.ts';
import { finding, type Rule } from '../target.ts';

export const protectNamespace: Rule = {
  id: 'protect-namespace',
  title: 'Namespaces holding HA state are not deleted',
  help: 'Move or release the HA state (annotate the namespace as released) before deleting the namespace.',
  why: 'Deleting a namespace deletes every HA ConfigMap in it: all its Flink clusters lose their recovery state at once.',
  validate: async (t) => {
    if (t.classified.shape !== 'namespace') return [];
    const ns = typeof t.old?.metadata?.name === 'string' ? t.old.metadata.name : t.namespace;
    const released = stringMap(t.old?.metadata?.annotations)[t.config.releaseAnnotation];
    const label = t.config.haStateNamespaceLabel;
    if (t.request.operation === 'UPDATE') {
      // The label that puts the namespace under the fail-closed webhook: only the webhook takes it off, once the
      // HA state is gone; anyone else removing it would make the next deletion unguarded while the webhook is down.
      const removed = label !== '' && stringMap(t.old?.metadata?.labels)[label] !== undefined && stringMap(t.draft?.metadata?.labels)[label] === undefined;
      if (!removed) return [];
      if (typeof released === 'string' && released !== '' && released !== 'false') return [finding('protect-namespace', 'passed', `namespace ${ns} was released; its ${label} label may go`)];
      const holds = await t.cluster.namespaceHoldsHaState(ns);
      if (holds === false) return [finding('protect-namespace', 'passed', `namespace ${ns} holds no HA ConfigMaps; its ${label} label may go`)];
      return [finding('protect-namespace', 'denied', `${holds ? 'namespace ' + ns + ' still holds Flink HA ConfigMaps' : `could not check whether namespace ${ns} holds HA ConfigMaps`}: the ${label} label keeps its deletion guarded even while the webhook is down`,
        `leave the label to the webhook (it removes it once the HA ConfigMaps are gone), or annotate the namespace ${t.config.releaseAnnotation}=<reason>`)];
    }
    if (t.request.operation !== 'DELETE') return [];
    if (typeof released === 'string' && released !== '' && released !== 'false') {
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
