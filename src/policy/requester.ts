// Who may touch HA state: the namespace's Flink ServiceAccount (leader election, cleanup of terminal jobs), the
// operator's ServiceAccount(s) (FlinkDeployment deletion, stateless upgrades), and configured principals. A
// ServiceAccount's name is proven only by a token bound to a real Pod of its own, checked against that Pod:
// impersonation (even with made-up user extras) and minted tokens prove nothing.
import type { WebhookConfig } from '../config/types.ts';
import type { Target } from './target.ts';
import type { ClusterView, Requester } from './types.ts';

/** Set by the API server's token authenticator on tokens bound to a Pod (every projected pod token since 1.30). */
export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
/** Set with POD_NAME_EXTRA: the uid of that Pod, which a made-up or recreated Pod does not have. */
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';
const SA_USERNAME = /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/** `system:serviceaccount:<ns>:<name>` exactly; anything else (extra `:` segments, empty parts) is a user. */
export function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  const m = SA_USERNAME.exec(username);
  return m ? { namespace: m[1]!, name: m[3]! } : undefined;
}

/**
 * The pod a token names, or undefined (a user, `kubectl create token` without a pod). Only a claim: whoever may
 * impersonate user extras can send any name, so ownershipOf checks it against the Pod itself.
 */
export function boundPodOf(requester: Requester): string | undefined {
  return firstExtra(requester, POD_NAME_EXTRA);
}

export function boundPodUidOf(requester: Requester): string | undefined {
  return firstExtra(requester, POD_UID_EXTRA);
}

function firstExtra(requester: Requester, key: string): string | undefined {
  const values = requester.extra?.[key];
  return Array.isArray(values) && typeof values[0] === 'string' && values[0] !== '' ? values[0] : undefined;
}

type OwnerRole = 'HA ServiceAccount' | 'operator ServiceAccount' | 'allowed principal';
export type Ownership = { owner: true; role: OwnerRole } | { owner: false; why?: string };

/**
 * Is the requester an owner of the namespace's HA state? An owner ServiceAccount counts only with a token bound to
 * a real Pod of its own (when `requirePodBoundToken`): the Pod the token names exists in the ServiceAccount's
 * namespace, runs as that ServiceAccount and has the token's pod uid. Anything less, or a Pod that could not be
 * looked up, is no owner (fail closed), and `why` says so for the denial message.
 */
export async function ownershipOf(requester: Requester, namespace: string, config: WebhookConfig, cluster: ClusterView): Promise<Ownership> {
  const names = new Set([requester.username, ...(requester.groups ?? [])]);
  if (config.allowedPrincipals.some((p) => names.has(p))) return { owner: true, role: 'allowed principal' };
  const sa = serviceAccountOf(requester.username);
  if (!sa) return { owner: false };
  const role: OwnerRole | undefined = sa.namespace === namespace && sa.name === config.haServiceAccount
    ? 'HA ServiceAccount'
    : config.operatorServiceAccounts.some((entry) => matchesOperatorEntry(entry, sa)) ? 'operator ServiceAccount' : undefined;
  if (!role) return { owner: false };
  if (!config.requirePodBoundToken) return { owner: true, role };
  const unproven = await podProofProblem(requester, sa, cluster);
  return unproven ? { owner: false, why: `the request uses the ${role} ${sa.namespace}/${sa.name} ${unproven}` } : { owner: true, role };
}

/** Why the token's pod does not prove the ServiceAccount, or undefined when it does. */
async function podProofProblem(requester: Requester, sa: { namespace: string; name: string }, cluster: ClusterView): Promise<string | undefined> {
  const podName = boundPodOf(requester);
  if (!podName) return 'without a pod-bound token (impersonation or a token minted with kubectl create token), which proves nothing about who sends it';
  const where = `${sa.namespace}/${podName}`;
  const uid = boundPodUidOf(requester);
  if (!uid) return `with a token naming pod ${where} but no pod uid (${POD_UID_EXTRA}), as only impersonated extras lack; that proves nothing`;
  const pod = await cluster.boundPod?.(sa.namespace, podName);
  if (pod === undefined) return `with a token naming pod ${where}, which could not be looked up; it is not taken as proof (fail closed: retry)`;
  if (pod === null) return `with a token naming pod ${where}, which does not exist (made-up user extras prove nothing)`;
  if (pod.serviceAccountName !== sa.name) return `with a token naming pod ${where}, which runs as ServiceAccount ${pod.serviceAccountName}, not ${sa.name}`;
  if (pod.uid !== uid) return `with a token naming pod ${where} with uid ${uid}, but that pod's uid is ${pod.uid || '(none)'}`;
  return undefined;
}

const proofs = new WeakMap<Target, Promise<Ownership>>();

/** ownershipOf the request's requester in the target's namespace, worked out once per review. */
export function proveOwnership(t: Target): Promise<Ownership> {
  let proof = proofs.get(t);
  if (!proof) proofs.set(t, (proof = ownershipOf(t.request.requester, t.namespace, t.config, t.cluster)));
  return proof;
}

/** `name` matches that ServiceAccount in any namespace; `namespace:name` only there. */
function matchesOperatorEntry(entry: string, sa: { namespace: string; name: string }): boolean {
  const colon = entry.indexOf(':');
  return colon < 0 ? sa.name === entry : sa.namespace === entry.slice(0, colon) && sa.name === entry.slice(colon + 1);
}

export async function isOwner(requester: Requester, namespace: string, config: WebhookConfig, cluster: ClusterView): Promise<boolean> {
  return (await ownershipOf(requester, namespace, config, cluster)).owner;
}

/** May set or clear the release/exempt marks of HA state: an owner, or a cluster admin (a deliberate, audited act). */
export async function mayRelease(requester: Requester, namespace: string, config: WebhookConfig, cluster: ClusterView): Promise<boolean> {
  return isClusterAdmin(requester) || (await isOwner(requester, namespace, config, cluster));
}

export function isClusterAdmin(requester: Requester): boolean {
  return (requester.groups ?? []).includes('system:masters');
}

export function describeRequester(requester: Requester): string {
  const sa = serviceAccountOf(requester.username);
  return sa ? `ServiceAccount ${sa.namespace}/${sa.name}` : `user ${requester.username || '(anonymous)'}`;
}
