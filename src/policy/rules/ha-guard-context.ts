// What every HA ConfigMap guard asks first: is this HA state, is the requester an owner, and which owned fields
// does the write change. Worked out once per request and shared by the guards (protect-ha-configmap,
// no-owner-reference, no-ha-data-strip), which each answer for their part of the changes.
import { haConfigMapClusterId } from '../../flink/ha-configmap.ts';
import { ownedChanges, type OwnedChange } from '../ha-owned-fields.ts';
import { describeRequester, proveOwnership, type Ownership } from '../requester.ts';
import type { Target } from '../target.ts';

export interface HaGuardContext {
  /** `HA ConfigMap ns/name (cluster id)`, for messages. */
  subject: string;
  who: string;
  ownership: Ownership;
  /** Owned fields the write changes (CREATE: every owned field; DELETE: none, the object goes whole). */
  changes: OwnedChange[];
}

const cache = new WeakMap<Target, Promise<HaGuardContext>>();

/** The context of an HA ConfigMap review (undefined for anything else); ownership is proven once (requester.ts). */
export async function haGuardContext(t: Target): Promise<HaGuardContext | undefined> {
  if (t.classified.shape !== 'ha-configmap') return undefined;
  let ctx = cache.get(t);
  if (!ctx) cache.set(t, (ctx = buildContext(t)));
  return ctx;
}

async function buildContext(t: Target): Promise<HaGuardContext> {
  const obj = t.old ?? t.draft;
  const name = typeof obj?.metadata?.name === 'string' ? obj.metadata.name : '';
  return {
    subject: `HA ConfigMap ${t.namespace}/${name} (cluster ${haConfigMapClusterId(obj) ?? clusterFromName(name) ?? '?'})`,
    who: describeRequester(t.request.requester),
    ownership: await proveOwnership(t),
    changes: t.request.operation === 'DELETE' ? [] : ownedChanges(t.old, t.draft, t.config),
  };
}

/** `a, b, c and 2 more` of the changed paths. */
export function describeChanges(changes: OwnedChange[]): string {
  const parts = changes.map((c) => `${c.change} ${c.path}`);
  return parts.length > 4 ? `${parts.slice(0, 4).join(', ')} and ${parts.length - 4} more` : parts.join(', ');
}

/** The clause that says why an owner ServiceAccount did not count as one, when that is the case. */
export function notOwnerClause(ctx: HaGuardContext): string {
  return !ctx.ownership.owner && ctx.ownership.why ? ` (${ctx.ownership.why})` : '';
}

function clusterFromName(name: string): string | undefined {
  const m = /^(.+?)-(cluster-config-map|[0-9a-f]{32}-config-map|dispatcher-leader|resourcemanager-leader|restserver-leader)$/.exec(name);
  return m?.[1];
}
