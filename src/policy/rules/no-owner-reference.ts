// no-owner-reference: no write may give an HA ConfigMap an ownerReference (the garbage collector would delete it
// with its owner), and only owners may change the ones it has. Taking one off is open to anyone: it can only keep
// the ConfigMap alive, and it is the garbage collector's own write when an owner is deleted with
// propagationPolicy=Orphan (refusing it would leave that owner stuck on its `orphan` finalizer).
import { finding, type Rule } from '../target.ts';
import { haGuardContext, notOwnerClause } from './ha-guard-context.ts';
import { ownerReferencesOf } from '../../kube/objects.ts';

export const noOwnerReference: Rule = {
  id: 'no-owner-reference',
  title: 'HA ConfigMaps carry no ownerReference',
  help: 'Remove the ownerReference: the garbage collector deletes the HA ConfigMap (and the checkpoint pointers) with its owner.',
  why: 'With an ownerReference the garbage collector deletes the HA ConfigMap together with its owner, and the cluster cannot recover its jobs.',
  validate: async (t) => {
    const ctx = await haGuardContext(t);
    if (!ctx || t.request.operation === 'DELETE') return [];
    const before = new Set(ownerReferencesOf(t.old).map((r) => JSON.stringify(r)));
    const added = ownerReferencesOf(t.draft).filter((r) => !before.has(JSON.stringify(r)));
    const fix = 'remove the ownerReference; Flink keeps HA ConfigMaps unowned on purpose (clean them up through the Flink cluster or the operator)';
    if (added.length > 0) {
      // Everyone, owners included: Flink never sets one, so an added ownerReference is always a mistake or an attack.
      return [finding('no-owner-reference', 'denied',
        `${ctx.who} adds an ownerReference (${added.map(describeRef).join(', ')}) to ${ctx.subject}: the garbage collector would delete it with its owner`, fix)];
    }
    const touched = ctx.changes.some((c) => c.rule === 'no-owner-reference');
    const kept = ownerReferencesOf(t.draft);
    const removed = ownerReferencesOf(t.old).length - kept.length;
    if (touched && !ctx.ownership.owner && removed > 0 && isOrderedSubset(kept, ownerReferencesOf(t.old))) {
      return [finding('no-owner-reference', 'passed', `${ctx.who} takes ${removed} ownerReference(s) off ${ctx.subject} and changes no other`)];
    }
    if (touched && !ctx.ownership.owner) {
      return [finding('no-owner-reference', 'denied', `${ctx.who} changes the ownerReferences of ${ctx.subject}${notOwnerClause(ctx)}: only its owners may`, fix)];
    }
    return [finding('no-owner-reference', 'passed', `${ctx.subject} gains no ownerReference`)];
  },
};

/** Whether `kept` is `all` with some entries left out, each kept one byte for byte and in its order. */
function isOrderedSubset(kept: unknown[], all: unknown[]): boolean {
  let i = 0;
  for (const ref of kept) {
    const wanted = JSON.stringify(ref);
    while (i < all.length && JSON.stringify(all[i]) !== wanted) i++;
    if (i === all.length) return false;
    i++;
  }
  return true;
}

function describeRef(r: unknown): string {
  const ref = (typeof r === 'object' && r !== null ? r : {}) as { kind?: unknown; name?: unknown };
  return `${typeof ref.kind === 'string' ? ref.kind : '?'}/${typeof ref.name === 'string' ? ref.name : '?'}`;
}
