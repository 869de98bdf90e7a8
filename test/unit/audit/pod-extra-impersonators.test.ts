// rbac-impersonates-pod-extras: who RBAC lets pass for a pod's own ServiceAccount token (impersonate on
// serviceaccounts and on the pod-name/pod-uid user extras), reported by `audit --cluster`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../../src/config/load.ts';
import { buildInventory } from '../../../src/audit/inventory.ts';
import { indexSnapshot } from '../../../src/snapshot/index.ts';
import { runClusterChecks } from '../../../src/audit/checks/index.ts';
import { podExtraImpersonators, type RbacObjects } from '../../../src/kube/rbac-rights.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';
import { mutatingConfig, namespace, validatingConfig } from './objects.ts';

const role = (kind: 'ClusterRole' | 'Role', name: string, rules: unknown[], ns?: string): KubeObject =>
  ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, ...(ns ? { namespace: ns } : {}) }, rules });
const binding = (kind: 'ClusterRoleBinding' | 'RoleBinding', name: string, roleRef: { kind: string; name: string }, subjects: unknown[], ns?: string): KubeObject =>
  ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, ...(ns ? { namespace: ns } : {}) }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects });
const sa = (ns: string, name: string) => ({ kind: 'ServiceAccount', name, namespace: ns });

const IMPERSONATE_SA = { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] };
const POD_EXTRAS = { apiGroups: ['authentication.k8s.io'], resources: ['userextras/authentication.kubernetes.io/pod-name', 'userextras/authentication.kubernetes.io/pod-uid'], verbs: ['impersonate'] };
const ALL_EXTRAS = { apiGroups: ['authentication.k8s.io'], resources: ['userextras/*'], verbs: ['impersonate'] };
const OTHER_EXTRA = { apiGroups: ['authentication.k8s.io'], resources: ['userextras/scopes'], verbs: ['impersonate'] };
const EVERYTHING = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };

const rbac = (p: Partial<RbacObjects>): RbacObjects => ({ roles: [], roleBindings: [], clusterRoles: [], clusterRoleBindings: [], ...p });

describe('rbac-impersonates-pod-extras: who may pass for a pod-bound token', () => {
  const rows: Array<[string, RbacObjects, string[]]> = [
    ['a CD controller with impersonate on serviceaccounts and the pod extras: reported', rbac({
      clusterRoles: [role('ClusterRole', 'cd', [IMPERSONATE_SA, POD_EXTRAS])],
      clusterRoleBindings: [binding('ClusterRoleBinding', 'cd', { kind: 'ClusterRole', name: 'cd' }, [sa('argocd', 'argocd-application-controller')])],
    }), ['ServiceAccount argocd/argocd-application-controller']],
    ['userextras/* through one binding, serviceaccounts through a RoleBinding: reported', rbac({
      clusterRoles: [role('ClusterRole', 'extras', [ALL_EXTRAS]), role('ClusterRole', 'sa', [IMPERSONATE_SA])],
      clusterRoleBindings: [binding('ClusterRoleBinding', 'extras', { kind: 'ClusterRole', name: 'extras' }, [{ kind: 'User', name: 'deployer' }])],
      roleBindings: [binding('RoleBinding', 'sa', { kind: 'ClusterRole', name: 'sa' }, [{ kind: 'User', name: 'deployer' }], 'team-a')],
    }), ['User deployer']],
    ['a cluster-admin-like role (*/*/*) bound to a CD tool: reported', rbac({
      clusterRoles: [role('ClusterRole', 'admin-like', [EVERYTHING])],
      clusterRoleBindings: [binding('ClusterRoleBinding', 'admin-like', { kind: 'ClusterRole', name: 'admin-like' }, [sa('flux-system', 'kustomize-controller'), { kind: 'Group', name: 'system:masters' }])],
    }), ['ServiceAccount flux-system/kustomize-controller']],
    ['impersonate on serviceaccounts only (the built-in edit): not reported', rbac({
      clusterRoles: [role('ClusterRole', 'edit', [IMPERSONATE_SA])],
      roleBindings: [binding('RoleBinding', 'edit', { kind: 'ClusterRole', name: 'edit' }, [{ kind: 'User', name: 'mallory' }], 'team-a')],
    }), []],
    ['another user extra (scopes) with serviceaccounts: not reported', rbac({
      clusterRoles: [role('ClusterRole', 'scopes', [IMPERSONATE_SA, OTHER_EXTRA])],
      clusterRoleBindings: [binding('ClusterRoleBinding', 'scopes', { kind: 'ClusterRole', name: 'scopes' }, [{ kind: 'User', name: 'bob' }])],
    }), []],
    ['the pod extras through a RoleBinding only (user extras are cluster-scoped: it grants nothing): not reported', rbac({
      clusterRoles: [role('ClusterRole', 'cd', [IMPERSONATE_SA, POD_EXTRAS])],
      roleBindings: [binding('RoleBinding', 'cd', { kind: 'ClusterRole', name: 'cd' }, [{ kind: 'User', name: 'carol' }], 'team-a')],
    }), []],
  ];
  for (const [name, objects, expected] of rows) {
    it(name, () => {
      assert.deepEqual(podExtraImpersonators(objects).map((i) => i.subject), expected, 'the principals reported');
    });
  }

  it('is reported by a live audit with the bindings, what it allows and the fix; not by a folder audit', () => {
    const impersonators = podExtraImpersonators(rows[0]![1]);
    const extras = { namespaces: [namespace('team-a')], webhookConfigurations: { mutating: [mutatingConfig()], validating: [validatingConfig()] }, workloadsComplete: true, podExtraImpersonators: impersonators };
    const findings = runClusterChecks(buildInventory(indexSnapshot({ objects: [], defaultNamespace: 'default', facts: extras }, [])), defaultConfig()).filter((f) => f.rule === 'rbac-impersonates-pod-extras');
    assert.equal(findings.length, 1, 'one finding per principal');
    const f = findings[0]!;
    assert.equal(f.action, 'warned');
    assert.deepEqual([f.kind, f.namespace, f.name], ['ServiceAccount', 'argocd', 'argocd-application-controller'], 'the finding names the principal');
    assert.match(f.message, /ClusterRoleBinding cd/, 'the finding names the binding');
    assert.match(f.fix ?? '', /without userextras/, 'the fix');
    const folder = runClusterChecks(buildInventory(indexSnapshot({ objects: [], defaultNamespace: 'default' }, [])), defaultConfig()).filter((x) => x.rule === 'rbac-impersonates-pod-extras');
    assert.deepEqual(folder, [], 'a folder audit has no RBAC');
  });
});
