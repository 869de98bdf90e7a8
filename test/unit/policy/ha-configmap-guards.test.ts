import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, ADMIN, ARGOCD, ask, fakeCluster, FLINK_SA, fixture, GC, OPERATOR_SA, PERSON, TEMPLATE_CONFIG, withField } from '../../support/policy.ts';
import type { Requester } from '../../../src/policy/types.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

const leader = () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-cluster-config-map');
const checkpoints = () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-00000000000000000000000000000000-config-map');
const legacy = () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'legacy-app-dispatcher-leader');
const OTHER_NS_FLINK: Requester = { username: 'system:serviceaccount:other:flink' };
const BREAK_GLASS: Requester = { username: 'bob', groups: ['flink-admins'] };

describe('protect-ha-configmap: who may delete an HA ConfigMap', () => {
  const rows: Array<{ who: string; requester: Requester; cm: () => KubeObject; allowed: boolean }> = [
    { who: 'the Flink cluster\'s own ServiceAccount (cleanup of a finished job)', requester: FLINK_SA, cm: checkpoints, allowed: true },
    { who: 'the operator\'s ServiceAccount (FlinkDeployment deleted, stateless upgrade)', requester: OPERATOR_SA, cm: leader, allowed: true },
    { who: 'a person (kubectl delete cm)', requester: PERSON, cm: checkpoints, allowed: false },
    { who: 'a cluster admin without a release', requester: ADMIN, cm: leader, allowed: false },
    { who: 'the garbage collector (someone added an ownerReference)', requester: GC, cm: leader, allowed: false },
    { who: 'a CD tool\'s ServiceAccount (Argo CD prune)', requester: ARGOCD, cm: checkpoints, allowed: false },
    { who: 'the flink ServiceAccount of another namespace', requester: OTHER_NS_FLINK, cm: leader, allowed: false },
    { who: 'a person, on the 1.12-1.14 layout recognised by name pattern', requester: PERSON, cm: legacy, allowed: false },
  ];
  for (const row of rows) {
    it(`${row.allowed ? 'allows' : 'denies'} ${row.who}`, async () => {
      const d = await ask({ oldObject: row.cm(), requester: row.requester, phase: 'validate' });
      assert.equal(d.allowed, row.allowed);
      assert.deepEqual(actionsOf(d, 'protect-ha-configmap'), [row.allowed ? 'passed' : 'denied']);
      if (!row.allowed) {
        assert.equal(d.status!.code, 403);
        assert.match(d.status!.message, /Fix: .*flink-ha\.io\/release/);
      }
    });
  }

  it('allows a configured principal (by group)', async () => {
    const d = await ask({ oldObject: leader(), requester: BREAK_GLASS, config: TEMPLATE_CONFIG({ allowedPrincipals: ['flink-admins'] }), phase: 'validate' });
    assert.equal(d.allowed, true);
  });

  it('honours operatorServiceAccounts written namespace:name, and only in that namespace', async () => {
    const config = TEMPLATE_CONFIG({ operatorServiceAccounts: ['flink-system:operator'] });
    assert.equal((await ask({ oldObject: leader(), requester: { username: 'system:serviceaccount:flink-system:operator' }, config, phase: 'validate' })).allowed, true);
    assert.equal((await ask({ oldObject: leader(), requester: { username: 'system:serviceaccount:team-a:operator' }, config, phase: 'validate' })).allowed, false);
  });

  it('allows anyone once the ConfigMap was released beforehand', async () => {
    const released = withField(leader(), 'metadata.annotations', { 'flink-ha.io/release': 'cluster decommissioned, TICKET-42' });
    assert.equal((await ask({ oldObject: released, requester: PERSON, phase: 'validate' })).allowed, true);
  });

  it('lets a cluster admin set the release annotation, but not a CD tool', async () => {
    const released = withField(leader(), 'metadata.annotations', { 'flink-ha.io/release': 'decommissioned' });
    assert.equal((await ask({ object: released, oldObject: leader(), requester: ADMIN, phase: 'validate' })).allowed, true);
    const d = await ask({ object: released, oldObject: leader(), requester: ARGOCD, phase: 'validate' });
    assert.equal(d.allowed, false);
    assert.deepEqual(actionsOf(d, 'protect-ha-configmap'), ['denied']);
  });

  it('allows the namespace controller only in a released namespace, and fails closed when it cannot tell', async () => {
    const nc: Requester = { username: 'system:serviceaccount:kube-system:namespace-controller' };
    const released = fakeCluster({ namespaces: new Map([['default', { labels: {}, annotations: { 'flink-ha.io/release': 'team offboarded' } }]]) });
    assert.equal((await ask({ oldObject: leader(), requester: nc, cluster: released, phase: 'validate' })).allowed, true);
    assert.equal((await ask({ oldObject: leader(), requester: nc, phase: 'validate' })).allowed, false);
    assert.equal((await ask({ oldObject: leader(), requester: nc, cluster: fakeCluster({ namespaces: new Map() }), phase: 'validate' })).allowed, false);
  });

  it('leaves ordinary ConfigMaps alone', async () => {
    const d = await ask({ oldObject: fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap'), requester: PERSON, phase: 'validate' });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.findings, []);
  });
});

describe('no-owner-reference', () => {
  const owner = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders-etl', uid: '6a1f-uid' }];
  const rows: Array<{ name: string; object: KubeObject; old: KubeObject | null; requester: Requester; action: string }> = [
    { name: 'denies a CREATE that carries an ownerReference', object: withField(leader(), 'metadata.ownerReferences', owner), old: null, requester: PERSON, action: 'denied' },
    { name: 'denies an UPDATE that adds one, even by the Flink ServiceAccount', object: withField(leader(), 'metadata.ownerReferences', owner), old: leader(), requester: FLINK_SA, action: 'denied' },
    { name: 'allows an UPDATE that keeps an existing one (it is already reported by audit)', object: withField(leader(), 'metadata.ownerReferences', owner), old: withField(leader(), 'metadata.ownerReferences', owner), requester: FLINK_SA, action: 'passed' },
    { name: 'allows an UPDATE that removes one', object: leader(), old: withField(leader(), 'metadata.ownerReferences', owner), requester: PERSON, action: 'passed' },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.object, oldObject: row.old, requester: row.requester, phase: 'validate' });
      assert.deepEqual(actionsOf(d, 'no-owner-reference'), [row.action]);
      assert.equal(d.allowed, row.action !== 'denied');
    });
  }
});

describe('no-ha-data-strip', () => {
  const stale = (): KubeObject => {
    const cm = checkpoints();
    const data = cm.data as Record<string, string>;
    delete data['checkpointID-0000000000000001042'];
    data.counter = '1042';
    return cm;
  };
  const rows: Array<{ name: string; object: KubeObject; requester: Requester; allowed: boolean; message?: RegExp }> = [
    { name: 'denies a stale kubectl apply that rolls the checkpoint pointers back', object: stale(), requester: PERSON, allowed: false, message: /removes checkpointID-0000000000000001042 and rewrites counter/ },
    { name: 'denies an Argo CD sync that drops the HA labels', object: withField(checkpoints(), 'metadata.labels', { app: 'orders-etl' }), requester: ARGOCD, allowed: false, message: /HA labels type, configmap-type/ },
    { name: 'allows Flink itself to write new checkpoints and drop old ones', object: stale(), requester: FLINK_SA, allowed: true },
    { name: 'allows the operator to strip job graphs before a resubmit', object: withField(leader(), 'data', {}), requester: OPERATOR_SA, allowed: true },
    { name: 'allows a person to add a label', object: withField(checkpoints(), 'metadata.labels.team', 'payments'), requester: PERSON, allowed: true },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.object, oldObject: checkpoints(), requester: row.requester, phase: 'validate' });
      assert.equal(d.allowed, row.allowed);
      if (row.message) assert.match(d.status!.message, row.message);
    });
  }
});

describe('protect-namespace', () => {
  const ns = (annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'streaming', annotations } });
  const withHa = fakeCluster({ namespaces: new Map([['streaming', { labels: {}, annotations: {} }]]), haNamespaces: new Set(['streaming']) });
  const without = fakeCluster({ namespaces: new Map([['streaming', { labels: {}, annotations: {} }]]) });
  it('denies deleting a namespace that holds HA ConfigMaps', async () => {
    const d = await ask({ oldObject: ns(), requester: ADMIN, cluster: withHa, phase: 'validate' });
    assert.equal(d.allowed, false);
    assert.match(d.status!.message, /still holds Flink HA ConfigMaps/);
  });
  it('allows it once the namespace is released', async () => {
    assert.equal((await ask({ oldObject: ns({ 'flink-ha.io/release': 'moved to streaming-v2' }), requester: ADMIN, cluster: withHa, phase: 'validate' })).allowed, true);
  });
  it('allows deleting a namespace without HA state', async () => {
    assert.equal((await ask({ oldObject: ns(), requester: ADMIN, cluster: without, phase: 'validate' })).allowed, true);
  });
  it('fails closed when it cannot tell', async () => {
    const d = await ask({ oldObject: ns(), requester: ADMIN, cluster: fakeCluster({ namespaces: new Map() }), phase: 'validate' });
    assert.equal(d.allowed, false);
    assert.match(d.status!.message, /could not check/);
  });
});
