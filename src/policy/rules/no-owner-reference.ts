// no-owner-reference: no write may give an HA ConfigMap an ownerReference (the garbage collector would delete it
// with its owner), and only owners may change the ones it has.
import { finding, type Rule } from '../target.ts';
import { haGuardContext, notOwnerClause } from './ha-guard-context.ts';
import { ownerReferencesOf } from '../../kube/objects.ts';

export const noOwnerReference: Rule = {
  id: 'no-owner-reference',
  title: 'HA ConfigMaps carry no ownerReference',
  help: 'Remove the ownerReference: the garbage collector deletes the HA ConfigMap (and the checkpoint pointers) with its owner.',
  why: 'With an ownerReference the garbage collector deletes the HA ConfigMap together with its owner, and the cluster cannot recover its jobs.',
  validate: (t) => {
    const ctx = haGuardContext(t);
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
    if (touched && !ctx.ownership.owner) {
      return [finding('no-owner-reference', 'denied', `${ctx.who} changes the ownerReferences of ${ctx.subject}${notOwnerClause(ctx)}: only its owners may`, fix)];
    }
    return [finding('no-owner-reference', 'passed', `${ctx.subject} gains no ownerReference`)];
  },
};

function describeRef(r: unknown): string {
  const ref = (typeof r === 'object' && r !== null ? r : {}) as { kind?: unknown; name?: unknown };
  return `${typeof ref.kind === 'string' ? ref.kind : '?'}/${typeof ref.name === 'string' ? ref.name : '?'}`;
}
