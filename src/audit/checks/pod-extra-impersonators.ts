// Principals RBAC lets impersonate ServiceAccounts together with a pod-bound token's user extras: they can claim to
// be Flink's or the operator's own pod token. The webhook checks the pod on DELETEs, but owners' UPDATEs skip it
// (CEL cannot look pods up), and with `get pods` a real pod's name and uid can be forged: an owner-equivalent right.
import type { Inventory } from '../inventory.ts';
import type { AuditFinding } from '../types.ts';

export function podExtraImpersonatorsCheck(inv: Inventory): AuditFinding[] {
  if (!inv.live) return [];
  return (inv.facts.podExtraImpersonators ?? []).map(({ subject, via }): AuditFinding => {
    const [kind = 'User', ...rest] = subject.split(' ');
    const full = rest.join(' ');
    const slash = kind === 'ServiceAccount' ? full.indexOf('/') : -1;
    return {
      rule: 'rbac-impersonates-pod-extras',
      action: 'warned',
      message: `${subject} may impersonate ServiceAccounts and the user extras of a pod-bound token (${via.join(', ')}): it can pass for the Flink or operator ServiceAccount's own pod token and overwrite HA ConfigMaps (owners' updates skip the webhook), and delete them when it can also read pods`,
      fix: `grant ${subject} impersonate only on the users or ServiceAccounts it needs, without userextras (or without the authentication.kubernetes.io/* keys)`,
      kind,
      ...(slash >= 0 ? { namespace: full.slice(0, slash), name: full.slice(slash + 1) } : { name: full }),
    };
  });
}
