// `flink-ha-webhook onboard`: the namespace's ServiceAccount, Role and RoleBinding, with exactly the ConfigMap verbs
// the webhook's SubjectAccessReviews and the audit ask for (one set of verbs everywhere).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { runCli } from '../../support/cli.ts';
import { HA_CONFIGMAP_VERBS } from '../../../src/flink/ha-rbac.ts';
import { configMapRightsReviews } from '../../../src/kube/configmap-rights.ts';
import { haServiceAccount } from '../../../src/policy/rules/ha-service-account.ts';

type Obj = { kind: string; metadata: { name: string; namespace: string }; rules?: Array<{ resources: string[]; verbs: string[] }>; subjects?: Array<{ name: string; namespace: string }>; roleRef?: { name: string } };

describe('onboard', () => {
  it('prints a ServiceAccount, a Role with the HA verbs on configmaps, and the RoleBinding between them', async () => {
    const r = await runCli(['onboard', '-n', 'team-a']);
    assert.equal(r.code, 0, r.stderr);
    const docs = yaml.loadAll(r.stdout).filter(Boolean) as Obj[];
    assert.deepEqual(docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`), ['ServiceAccount team-a/flink', 'Role team-a/flink-ha', 'RoleBinding team-a/flink-ha']);
    assert.deepEqual(docs[1]!.rules, [{ apiGroups: [''], resources: ['configmaps'], verbs: [...HA_CONFIGMAP_VERBS] }], 'only configmaps, only the HA verbs');
    assert.deepEqual(docs[2]!.subjects, [{ kind: 'ServiceAccount', name: 'flink', namespace: 'team-a' }], 'binds the ServiceAccount');
    assert.equal(docs[2]!.roleRef!.name, 'flink-ha', 'binds the Role');
  });

  it('takes the ServiceAccount from the flag, else from the config', async () => {
    const flag = await runCli(['onboard', '-n', 'team-a', '--service-account', 'flink-jobs']);
    assert.match(flag.stdout, /kind: ServiceAccount\nmetadata:\n {2}name: flink-jobs\n/, 'the flag names it');
    const env = await runCli(['onboard', '-n', 'team-a'], { env: { FLINK_HA_SERVICE_ACCOUNT: 'from-config' } });
    assert.match(env.stdout, /name: from-config\n/, 'the config names it');
  });

  it('refuses a bad name or no namespace with exit 2, never a crash', async () => {
    assert.equal((await runCli(['onboard'])).code, 2, '-n is required');
    const bad = await runCli(['onboard', '-n', 'Team_A']);
    assert.equal(bad.code, 2, 'an invalid namespace');
    assert.match(bad.stderr, /'Team_A' is not a valid namespace name/);
  });

  it('asks and advises the same verbs: the SubjectAccessReviews, and the fix of ha-service-account', () => {
    assert.deepEqual(configMapRightsReviews('ns', 'flink').map((r) => r.spec.resourceAttributes!.verb), [...HA_CONFIGMAP_VERBS]);
    assert.match(haServiceAccount.help, new RegExp(HA_CONFIGMAP_VERBS.join('/')), 'the rule help names the same verbs');
    assert.doesNotMatch(haServiceAccount.help, /patch/, 'no patch: Flink replaces its ConfigMaps');
  });
});
