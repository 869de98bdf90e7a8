// no-ha-data-strip: HA state is created and written only by its owners. A non-owner may change nothing of an HA
// ConfigMap but the label/annotation keys of config.nonOwnerMetadata (within its byte bound), and may create none,
// not even an empty ConfigMap under a name Flink's HA will use (Flink adopts what it finds there).
import { openMetadataBytes } from '../ha-owned-fields.ts';
import { finding, type Rule, type Target } from '../target.ts';
import { describeChanges, haGuardContext, notOwnerClause, type HaGuardContext } from './ha-guard-context.ts';

export const noHaDataStrip: Rule = {
  id: 'no-ha-data-strip',
  title: 'HA data is written only by its owners',
  help: 'Do not apply, edit, plant or recreate HA ConfigMaps; keep them out of git, Helm charts and Argo CD/Flux syncs. A non-owner may change only the labels and annotations listed in nonOwnerMetadata.',
  why: 'A stale `kubectl apply`, a CD sync or a hand edit that removes, rewrites or adds checkpoint pointers, job graphs, leader data or labels tools select on (or freezes or bloats the ConfigMap) makes Flink recover from the wrong checkpoint, or not at all; a ConfigMap planted under a future HA name breaks the cluster that comes to use it.',
  validate: async (t) => {
    const ctx = await haGuardContext(t);
    if (!ctx || t.request.operation === 'DELETE') return [];
    const creating = t.request.operation === 'CREATE';
    const mine = ctx.changes.filter((c) => c.rule === 'no-ha-data-strip');
    const fix = `leave HA ConfigMaps out of manifests and CD apps (for Argo CD: exclude ConfigMaps labelled configmap-type=high-availability); a backup tool that restores them belongs in allowedPrincipals; a non-owner may change only ${openList(t)}`;
    if (ctx.ownership.owner) return [finding('no-ha-data-strip', 'passed', `${ctx.who} (${ctx.ownership.role}) owns ${ctx.subject}`)];
    if (creating) {
      // Whatever it holds: an empty, immutable or owned ConfigMap under Flink's name breaks the cluster that adopts it.
      const what = mine.length > 0 ? `: ${describeChanges(mine)}` : ' (a ConfigMap under a name Flink\'s HA will use, whatever it holds)';
      return [finding('no-ha-data-strip', 'denied',
        `${ctx.who} may not create ${ctx.subject}${notOwnerClause(ctx)}${what}; only Flink and the operator create HA state (a planted copy would forge the checkpoint pointers, or freeze, own or clutter the ConfigMap Flink adopts)`,
        `${fix}; if this ConfigMap is not Flink's, give it a name that is not one of Flink's HA names (<cluster-id>-cluster-config-map, <cluster-id>-<job-id>-config-map, <cluster-id>-*-leader)`)];
    }
    if (mine.length > 0) {
      return [finding('no-ha-data-strip', 'denied',
        `${ctx.who} may not change the HA data of ${ctx.subject}${notOwnerClause(ctx)}: ${describeChanges(mine)}; only Flink and the operator write HA state (a stale apply, sync or foreign label would roll back or forge the checkpoint pointers, or change who reads, backs up or prunes it)`, fix)];
    }
    const bloat = overBound(t, ctx);
    if (bloat) return [bloat];
    return [finding('no-ha-data-strip', 'passed', `the update keeps the HA data of ${ctx.subject}`)];
  },
};

/** A non-owner write that grows the open labels/annotations past nonOwnerMetadata.maxBytes (never one that shrinks them). */
function overBound(t: Target, ctx: HaGuardContext) {
  const max = t.config.nonOwnerMetadata.maxBytes;
  const after = openMetadataBytes(t.draft, t.config);
  if (after <= max || after <= openMetadataBytes(t.old, t.config)) return undefined;
  return finding('no-ha-data-strip', 'denied',
    `${ctx.who} may not grow the labels and annotations open to non-owners on ${ctx.subject} to ${after} bytes (the bound is ${max}): an HA ConfigMap near etcd's request limit fails Flink's next checkpoint-pointer write`,
    `keep the open labels and annotations of HA state under ${max} bytes in all (nonOwnerMetadata.maxBytes)`);
}

function openList(t: Target): string {
  const { labels, annotations } = t.config.nonOwnerMetadata;
  const keys = [...labels.map((k) => `label ${k}`), ...annotations.map((k) => `annotation ${k}`)];
  return keys.length > 0 ? `the keys listed in nonOwnerMetadata (${keys.join(', ')})` : 'nothing (nonOwnerMetadata lists no key)';
}
