// no-ha-data-strip: of an HA ConfigMap, only its owners write anything but free labels and annotations: data,
// binaryData, immutable, finalizers, Flink's labels and leader annotation, and any field not named here.
import { finding, type Rule } from '../target.ts';
import { describeChanges, haGuardContext, notOwnerClause } from './ha-guard-context.ts';

export const noHaDataStrip: Rule = {
  id: 'no-ha-data-strip',
  title: 'HA data is written only by its owners',
  help: 'Do not apply, edit or recreate HA ConfigMaps; keep them out of git, Helm charts and Argo CD/Flux syncs. Only labels and annotations outside Flink\'s and flink-ha.io/ may be changed.',
  why: 'A stale `kubectl apply`, a CD sync or a hand edit that removes, rewrites or adds checkpoint pointers, job graphs or leader data (or freezes the ConfigMap) makes Flink recover from the wrong checkpoint, or not at all.',
  validate: async (t) => {
    const ctx = await haGuardContext(t);
    if (!ctx || t.request.operation === 'DELETE') return [];
    const mine = ctx.changes.filter((c) => c.rule === 'no-ha-data-strip');
    if (mine.length === 0 || ctx.ownership.owner) return [finding('no-ha-data-strip', 'passed', `the ${t.request.operation === 'CREATE' ? 'creation' : 'update'} keeps the HA data of ${ctx.subject}`)];
    const verb = t.request.operation === 'CREATE' ? 'may not create' : 'may not change the HA data of';
    return [finding('no-ha-data-strip', 'denied',
      `${ctx.who} ${verb} ${ctx.subject}${notOwnerClause(ctx)}: ${describeChanges(mine)}; only Flink and the operator write HA state (a stale apply, sync or planted copy would roll back or forge the checkpoint pointers)`,
      'leave HA ConfigMaps out of manifests and CD apps (for Argo CD: exclude ConfigMaps labelled configmap-type=high-availability); a backup tool that restores them belongs in allowedPrincipals; change only labels/annotations outside Flink\'s and flink-ha.io/')];
  },
};
