// RBAC evaluated locally for the live audit's rights check: a grant it finds must be one the API server's RBAC
// authorizer would find too; anything it does not find is left to SubjectAccessReviews (so it may only say "yes").
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { rbacGrantsConfigMapRights, type RbacObjects } from '../../../src/kube/rbac-rights.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

// The Flink docs' Kubernetes HA RBAC example (ServiceAccount, Role, RoleBinding), put in namespace flink-jobs.
const docs = (yaml.loadAll(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'upstream', 'kubernetes-ha-rbac-example.yaml'), 'utf8')) as KubeObject[])
  .map((o) => ({ ...o, metadata: { ...o.metadata, namespace: 'flink-jobs' } }));
const role = docs.find((d) => d.kind === 'Role')!;
const binding = docs.find((d) => d.kind === 'RoleBinding')!;
const none: RbacObjects = { roles: [], roleBindings: [], clusterRoles: [], clusterRoleBindings: [] };
const edit: KubeObject = { kind: 'ClusterRole', metadata: { name: 'edit' }, rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] }] };
const readOnly: KubeObject = { kind: 'ClusterRole', metadata: { name: 'view' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] };
const bindTo = (kind: string, name: string, subject: Record<string, string>, namespace?: string): KubeObject =>
  ({ kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding', metadata: { name: `b-${name}`, ...(namespace ? { namespace } : {}) }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name }, subjects: [subject] });

describe('RBAC grants of ConfigMap rights, read from the RBAC objects', () => {
  const rows: Array<[string, RbacObjects, string, string, boolean]> = [
    ['the Flink docs\' Role and RoleBinding (subject namespace left to the binding\'s)', { ...none, roles: [role], roleBindings: [binding] }, 'flink-jobs', 'flink-service-account', true],
    ['the same binding does not reach another namespace', { ...none, roles: [role], roleBindings: [binding] }, 'other', 'flink-service-account', false],
    ['nor another ServiceAccount', { ...none, roles: [role], roleBindings: [binding] }, 'flink-jobs', 'default', false],
    ['nothing bound', none, 'flink-jobs', 'flink', false],
    ['the edit ClusterRole through a RoleBinding', { ...none, clusterRoles: [edit], roleBindings: [bindTo('ClusterRole', 'edit', { kind: 'ServiceAccount', name: 'flink', namespace: 'a' }, 'a')] }, 'a', 'flink', true],
    ['a read-only ClusterRole is not enough (create, update, delete missing)', { ...none, clusterRoles: [readOnly], clusterRoleBindings: [bindTo('ClusterRole', 'view', { kind: 'ServiceAccount', name: 'flink', namespace: 'a' })] }, 'a', 'flink', false],
    ['a ClusterRoleBinding to the group of all ServiceAccounts', { ...none, clusterRoles: [edit], clusterRoleBindings: [bindTo('ClusterRole', 'edit', { kind: 'Group', name: 'system:serviceaccounts' })] }, 'z', 'flink', true],
    ['the ServiceAccount as a User subject', { ...none, clusterRoles: [edit], roleBindings: [bindTo('ClusterRole', 'edit', { kind: 'User', name: 'system:serviceaccount:a:flink' }, 'a')] }, 'a', 'flink', true],
    ['a rule limited to resourceNames does not count', { ...none, roles: [{ kind: 'Role', metadata: { name: 'r', namespace: 'a' }, rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['x'], verbs: ['*'] }] }], roleBindings: [bindTo('Role', 'r', { kind: 'ServiceAccount', name: 'flink' }, 'a')] }, 'a', 'flink', false],
    ['wildcards', { ...none, clusterRoles: [{ kind: 'ClusterRole', metadata: { name: 'admin-ish' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }], clusterRoleBindings: [bindTo('ClusterRole', 'admin-ish', { kind: 'ServiceAccount', name: 'flink', namespace: 'a' })] }, 'a', 'flink', true],
    ['malformed objects grant nothing and do not throw', { ...none, roles: [{ kind: 'Role', metadata: { name: 'r', namespace: 'a' }, rules: 'all' }], roleBindings: [{ kind: 'RoleBinding', metadata: { name: 'b', namespace: 'a' }, roleRef: 5, subjects: {} }] }, 'a', 'flink', false],
  ];
  for (const [name, rbac, namespace, sa, granted] of rows) {
    it(name, () => assert.equal(rbacGrantsConfigMapRights(rbac)(namespace, sa), granted));
  }
});
