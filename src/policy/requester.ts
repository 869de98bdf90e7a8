// Who may touch HA state: the namespace's Flink ServiceAccount (leader election, cleanup of terminal jobs), the
// operator's ServiceAccount(s) (FlinkDeployment deletion, stateless upgrades), and configured principals.
import type { WebhookConfig } from '../config/types.ts';
import type { Requester } from './types.ts';

const SA_PREFIX = 'system:serviceaccount:';

export function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const [namespace, name] = username.slice(SA_PREFIX.length).split(':');
  return namespace && name ? { namespace, name } : undefined;
}

/** The namespace's HA ServiceAccount, or an operator ServiceAccount (`name` in any namespace, or `ns:name`). */
export function isHaOwner(requester: Requester, namespace: string, config: WebhookConfig): boolean {
  const sa = serviceAccountOf(requester.username);
  if (!sa) return false;
  if (sa.namespace === namespace && sa.name === config.haServiceAccount) return true;
  return config.operatorServiceAccounts.some((entry) => {
    const colon = entry.indexOf(':');
    return colon < 0 ? sa.name === entry : sa.namespace === entry.slice(0, colon) && sa.name === entry.slice(colon + 1);
  });
}

/** An owner, or a configured principal (username or group). */
export function isAllowedPrincipal(requester: Requester, namespace: string, config: WebhookConfig): boolean {
  if (isHaOwner(requester, namespace, config)) return true;
  const names = new Set([requester.username, ...(requester.groups ?? [])]);
  return config.allowedPrincipals.some((p) => names.has(p));
}

/** May set the release mark on HA state: an allowed principal, or a cluster admin (a deliberate, audited act). */
export function mayRelease(requester: Requester, namespace: string, config: WebhookConfig): boolean {
  return isAllowedPrincipal(requester, namespace, config) || (requester.groups ?? []).includes('system:masters');
}

export function describeRequester(requester: Requester): string {
  const sa = serviceAccountOf(requester.username);
  return sa ? `ServiceAccount ${sa.namespace}/${sa.name}` : `user ${requester.username || '(anonymous)'}`;
}
