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
