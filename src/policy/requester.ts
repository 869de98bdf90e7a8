// Who may touch HA state: the namespace's Flink ServiceAccount (leader election, cleanup of terminal jobs), the
// operator's ServiceAccount(s) (FlinkDeployment deletion, stateless upgrades), and configured principals. A
// ServiceAccount's name is proven only by a pod-bound token: impersonation and minted tokens prove nothing.
import type { WebhookConfig } from '../config/types.ts';
import type { Requester } from './types.ts';

/** Set by the API server's token authenticator on tokens bound to a Pod (every projected pod token since 1.30). */
export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
const SA_USERNAME = /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/** `system:serviceaccount:<ns>:<name>` exactly; anything else (extra `:` segments, empty parts) is a user. */
export function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  const m = SA_USERNAME.exec(username);
  return m ? { namespace: m[1]!, name: m[3]! } : undefined;
}

/** The pod a token is bound to, or undefined (impersonation, `kubectl create token` without a pod, a user). */
export function boundPodOf(requester: Requester): string | undefined {
  const pod = requester.extra?.[POD_NAME_EXTRA];
  return Array.isArray(pod) && typeof pod[0] === 'string' && pod[0] !== '' ? pod[0] : undefined;
}

type OwnerRole = 'HA ServiceAccount' | 'operator ServiceAccount' | 'allowed principal';
export type Ownership = { owner: true; role: OwnerRole } | { owner: false; why?: string };

/**
 * Is the requester an owner of the namespace's HA state? An owner ServiceAccount without a pod-bound token is not
 * (when `requirePodBoundToken`), and `why` says so, for the denial message.
 */
export function ownershipOf(requester: Requester, namespace: string, config: WebhookConfig): Ownership {
  const names = new Set([requester.username, ...(requester.groups ?? [])]);
  if (config.allowedPrincipals.some((p) => names.has(p))) return { owner: true, role: 'allowed principal' };
  const sa = serviceAccountOf(requester.username);
  if (!sa) return { owner: false };
  const role: OwnerRole | undefined = sa.namespace === namespace && sa.name === config.haServiceAccount
    ? 'HA ServiceAccount'
    : config.operatorServiceAccounts.some((entry) => matchesOperatorEntry(entry, sa)) ? 'operator ServiceAccount' : undefined;
  if (!role) return { owner: false };
  if (config.requirePodBoundToken && !boundPodOf(requester)) {
    return { owner: false, why: `the request uses the ${role} ${sa.namespace}/${sa.name} without a pod-bound token (impersonation or a token minted with kubectl create token), which proves nothing about who sends it` };
  }
  return { owner: true, role };
}

/** `name` matches that ServiceAccount in any namespace; `namespace:name` only there. */
function matchesOperatorEntry(entry: string, sa: { namespace: string; name: string }): boolean {
  const colon = entry.indexOf(':');
  return colon < 0 ? sa.name === entry : sa.namespace === entry.slice(0, colon) && sa.name === entry.slice(colon + 1);
}

export function isOwner(requester: Requester, namespace: string, config: WebhookConfig): boolean {
  return ownershipOf(requester, namespace, config).owner;
}

/** May set or clear the release/exempt marks of HA state: an owner, or a cluster admin (a deliberate, audited act). */
export function mayRelease(requester: Requester, namespace: string, config: WebhookConfig): boolean {
  return isOwner(requester, namespace, config) || (requester.groups ?? []).includes('system:masters');
}

export function describeRequester(requester: Requester): string {
  const sa = serviceAccountOf(requester.username);
  return sa ? `ServiceAccount ${sa.namespace}/${sa.name}` : `user ${requester.username || '(anonymous)'}`;
}
