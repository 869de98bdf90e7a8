// What RBAC grants a ServiceAccount on ConfigMaps, worked out from the Roles, ClusterRoles and their bindings (four
// LISTs) instead of six SubjectAccessReviews per ServiceAccount. RBAC only ever allows, and other authorizers may
// allow more, so only "granted" is an answer here; anything else is asked of the API server as before.
import type { KubeObject } from './objects.ts';
import { HA_CONFIGMAP_VERBS } from './configmap-rights.ts';

export interface RbacObjects {
  roles: KubeObject[];
  roleBindings: KubeObject[];
  clusterRoles: KubeObject[];
  clusterRoleBindings: KubeObject[];
}

interface Rule { apiGroups?: unknown; resources?: unknown; verbs?: unknown; resourceNames?: unknown }
interface Subject { kind?: unknown; name?: unknown; namespace?: unknown }

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const has = (v: unknown, ...wanted: string[]): boolean => list(v).some((x) => typeof x === 'string' && wanted.includes(x));

/** The ConfigMap verbs a list of rules grants (on every ConfigMap: rules limited to resourceNames do not count). */
function configMapVerbs(rules: unknown): Set<string> {
  const out = new Set<string>();
  for (const r of list(rules) as Rule[]) {
    if (!has(r.apiGroups, '', '*') || !has(r.resources, 'configmaps', '*') || list(r.resourceNames).length > 0) continue;
    for (const v of list(r.verbs)) if (typeof v === 'string') out.add(v);
  }
  return out;
}

/** Does a binding (in `bindingNamespace`, '' for a ClusterRoleBinding) name this ServiceAccount, or a group it is in? */
function names(subjects: unknown, namespace: string, serviceAccount: string, bindingNamespace: string): boolean {
  return (list(subjects) as Subject[]).some((s) => {
    if (s.kind === 'ServiceAccount') return s.name === serviceAccount && (s.namespace ?? bindingNamespace) === namespace;
    if (s.kind === 'User') return s.name === `system:serviceaccount:${namespace}:${serviceAccount}`;
    if (s.kind === 'Group') return s.name === 'system:serviceaccounts' || s.name === `system:serviceaccounts:${namespace}` || s.name === 'system:authenticated';
    return false;
  });
}

/** A function answering "does RBAC grant this ServiceAccount every verb Flink HA needs on ConfigMaps of its namespace?". */
export function rbacGrantsConfigMapRights(rbac: RbacObjects): (namespace: string, serviceAccount: string) => boolean {
  const clusterRoleVerbs = new Map(rbac.clusterRoles.map((r) => [r.metadata?.name ?? '', configMapVerbs(r.rules)]));
  const roleVerbs = new Map(rbac.roles.map((r) => [`${r.metadata?.namespace}/${r.metadata?.name}`, configMapVerbs(r.rules)]));
  const bindingsByNs = new Map<string, KubeObject[]>();
  for (const b of rbac.roleBindings) {
    const ns = b.metadata?.namespace ?? '';
    bindingsByNs.set(ns, [...(bindingsByNs.get(ns) ?? []), b]);
  }
  const roleRefVerbs = (ref: unknown, namespace: string): Set<string> | undefined => {
    const r = (typeof ref === 'object' && ref !== null ? ref : {}) as { kind?: unknown; name?: unknown };
    if (r.kind === 'ClusterRole') return clusterRoleVerbs.get(String(r.name));
    if (r.kind === 'Role') return roleVerbs.get(`${namespace}/${String(r.name)}`);
    return undefined;
  };
  return (namespace, serviceAccount) => {
    const granted = new Set<string>();
    const add = (verbs: Set<string> | undefined) => verbs?.forEach((v) => granted.add(v));
    for (const b of rbac.clusterRoleBindings) if (names(b.subjects, namespace, serviceAccount, '')) add(roleRefVerbs(b.roleRef, ''));
    for (const b of bindingsByNs.get(namespace) ?? []) if (names(b.subjects, namespace, serviceAccount, namespace)) add(roleRefVerbs(b.roleRef, namespace));
    return granted.has('*') || HA_CONFIGMAP_VERBS.every((v) => granted.has(v));
  };
}

/** A principal RBAC lets impersonate ServiceAccounts and the pod extras of a pod-bound token (see README: trust model). */
export interface PodExtraImpersonator {
  /** `ServiceAccount ns/name`, `User name` or `Group name`. */
  subject: string;
  /** The bindings that grant the two rights, `ClusterRoleBinding name` or `RoleBinding ns/name`. */
  via: string[];
}

/** The user extras a pod-bound token carries: who may impersonate them can pass for a pod's own token. */
const POD_EXTRA_RESOURCES = ['userextras', 'userextras/*', 'userextras/authentication.kubernetes.io/pod-name', 'userextras/authentication.kubernetes.io/pod-uid', '*'];

function grantsImpersonate(rules: unknown, groups: string[], resources: string[]): boolean {
  return (list(rules) as Rule[]).some((r) => has(r.verbs, 'impersonate', '*') && has(r.apiGroups, ...groups, '*') && has(r.resources, ...resources) && list(r.resourceNames).length === 0);
}

/**
 * Principals bound to `impersonate` on user extras (all, or the pod-name/pod-uid keys) and on serviceaccounts: they
 * can claim to be a Flink or operator pod's own token. User extras are cluster-scoped, so only ClusterRoleBindings
 * grant them; ServiceAccounts may be impersonated through either kind. `system:masters` bypasses RBAC: not listed.
 */
export function podExtraImpersonators(rbac: RbacObjects): PodExtraImpersonator[] {
  const rulesOf = (ref: unknown, namespace: string): unknown => {
    const r = (typeof ref === 'object' && ref !== null ? ref : {}) as { kind?: unknown; name?: unknown };
    const role = r.kind === 'ClusterRole'
      ? rbac.clusterRoles.find((c) => c.metadata?.name === r.name)
      : rbac.roles.find((c) => c.metadata?.namespace === namespace && c.metadata?.name === r.name);
    return role?.rules;
  };
  const extras = new Map<string, string[]>();
  const accounts = new Map<string, string[]>();
  const note = (into: Map<string, string[]>, subject: string, via: string) => into.set(subject, [...new Set([...(into.get(subject) ?? []), via])]);
  const bindings = [
    ...rbac.clusterRoleBindings.map((b) => ({ b, namespace: '', via: `ClusterRoleBinding ${b.metadata?.name ?? ''}` })),
    ...rbac.roleBindings.map((b) => ({ b, namespace: b.metadata?.namespace ?? '', via: `RoleBinding ${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}` })),
  ];
  for (const { b, namespace, via } of bindings) {
    const rules = rulesOf(b.roleRef, namespace);
    const onExtras = namespace === '' && grantsImpersonate(rules, ['authentication.k8s.io'], POD_EXTRA_RESOURCES);
    const onAccounts = grantsImpersonate(rules, [''], ['serviceaccounts', '*']);
    if (!onExtras && !onAccounts) continue;
    for (const s of list(b.subjects) as Subject[]) {
      if (typeof s.name !== 'string' || (s.kind === 'Group' && s.name === 'system:masters')) continue;
      const subject = s.kind === 'ServiceAccount' ? `ServiceAccount ${typeof s.namespace === 'string' ? s.namespace : namespace}/${s.name}` : `${String(s.kind)} ${s.name}`;
      if (onExtras) note(extras, subject, via);
      if (onAccounts) note(accounts, subject, via);
    }
  }
  return [...extras]
    .filter(([subject]) => accounts.has(subject))
    .map(([subject, via]) => ({ subject, via: [...new Set([...via, ...accounts.get(subject)!])] }))
    .sort((a, b) => a.subject.localeCompare(b.subject));
}
