// protect-flink-deployment: the front door. Each row is a delete or an update a user or a tool makes of a
// FlinkDeployment or FlinkSessionJob, and whether the operator's next step would take the HA state with it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, ADMIN, ARGOCD, ask, fakeCluster, GC, OPERATOR_SA, PERSON, TEMPLATE_CONFIG, type FakeCluster } from '../../support/policy.ts';
import type { Requester } from '../../../src/policy/types.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

const JOB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const NC: Requester = { username: 'system:serviceaccount:kube-system:namespace-controller', groups: ['system:serviceaccounts'] };
const RELEASE = 'flink-ha.io/release';

function fd(name = 'orders', job: Record<string, unknown> | null = { jarURI: 'local:///opt/flink/app.jar', upgradeMode: 'last-state' }, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      image: 'flink:2.2', flinkVersion: 'v2_2', serviceAccount: 'flink',
      flinkConfiguration: { 'high-availability.type': 'kubernetes', 'high-availability.storageDir': 's3://ha/default/orders', 'execution.checkpointing.dir': 's3://cp/default/orders', 'execution.checkpointing.savepoint-dir': 's3://sp/default/orders' },
      jobManager: { replicas: 2, resource: { cpu: 1, memory: '2048m' } }, taskManager: { resource: { cpu: 1, memory: '2048m' } },
      ...(job ? { job } : {}),
    },
  };
}

function sessionJob(jobId: string | null = JOB, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkSessionJob',
    metadata: { name: 'orders-job', namespace: 'default', annotations },
    spec: { deploymentName: 'session', job: { jarURI: 'https://repo/app.jar', upgradeMode: 'last-state' } },
    ...(jobId === null ? {} : { status: { jobStatus: { jobId, state: 'RUNNING' } } }),
  };
}

const cm = (name: string, app: string): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name, namespace: 'default', labels: { app, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } },
  data: {},
});

/** A cluster where cluster-id `orders` and the session cluster's job JOB hold HA state. */
const withState = (): FakeCluster => fakeCluster({
  haConfigMaps: new Map([
    ['default/orders', [cm('orders-cluster-config-map', 'orders'), cm(`orders-${'0'.repeat(32)}-config-map`, 'orders')]],
    ['default/session', [cm('session-cluster-config-map', 'session'), cm(`session-${JOB}-config-map`, 'session')]],
  ]),
});
const releasedNs = (): FakeCluster => {
  const c = withState();
  c.namespaces.set('default', { labels: {}, annotations: { [RELEASE]: 'team offboarded' } });
  return c;
};
const unreachable = (): FakeCluster => fakeCluster({ namespaces: new Map() });

describe('protect-flink-deployment: deleting a FlinkDeployment or FlinkSessionJob', () => {
  const rows: Array<{ name: string; old: () => KubeObject; requester: Requester; cluster: () => FakeCluster; allowed: boolean; message?: RegExp }> = [
    { name: 'a person deletes a FlinkDeployment whose cluster holds HA ConfigMaps', old: () => fd(), requester: PERSON, cluster: withState, allowed: false, message: /holds 2 HA ConfigMap.*deleteKubernetesHAMetadata.*Fix: no operator setting keeps/ },
    { name: 'a CD tool prunes it (Argo CD, helm uninstall)', old: () => fd(), requester: ARGOCD, cluster: withState, allowed: false },
    { name: 'a cluster admin deletes it without a release', old: () => fd(), requester: ADMIN, cluster: withState, allowed: false },
    { name: 'the garbage collector deletes it (an owner was deleted)', old: () => fd(), requester: GC, cluster: withState, allowed: false },
    { name: 'a stateless FlinkDeployment with HA state: the operator deletes it all the same', old: () => fd('orders', { jarURI: 'local:///a.jar', upgradeMode: 'stateless' }), requester: PERSON, cluster: withState, allowed: false },
    { name: 'a session cluster (no job) with HA state', old: () => fd('session', null), requester: PERSON, cluster: withState, allowed: false },
    { name: 'the confused deputy: a FlinkDeployment named after another cluster\'s cluster-id', old: () => fd('orders', { jarURI: 'local:///x.jar' }), requester: { username: 'eve', groups: ['system:authenticated'] }, cluster: withState, allowed: false },
    { name: 'it was released beforehand', old: () => fd('orders', undefined, { [RELEASE]: 'decommissioned, TICKET-7' }), requester: PERSON, cluster: withState, allowed: true },
    { name: 'a release annotation "false" releases nothing', old: () => fd('orders', undefined, { [RELEASE]: 'false' }), requester: PERSON, cluster: withState, allowed: false },
    { name: 'its cluster holds no HA state', old: () => fd('payments'), requester: PERSON, cluster: withState, allowed: true },
    { name: 'the HA ConfigMaps could not be listed: fail closed', old: () => fd(), requester: PERSON, cluster: unreachable, allowed: false, message: /could not check/ },
    { name: 'the namespace controller, in a released namespace', old: () => fd(), requester: NC, cluster: releasedNs, allowed: true },
    { name: 'the namespace controller, in a namespace not released', old: () => fd(), requester: NC, cluster: withState, allowed: false },
    { name: 'the operator\'s ServiceAccount (pod-bound), an HA owner', old: () => fd(), requester: OPERATOR_SA, cluster: withState, allowed: true },
    { name: 'a person deletes a session job whose job holds its HA ConfigMap', old: () => sessionJob(), requester: PERSON, cluster: withState, allowed: false, message: new RegExp(`session-${JOB}-config-map.*cancels the job`) },
    { name: 'a session job released beforehand', old: () => sessionJob(JOB, { [RELEASE]: 'retired' }), requester: PERSON, cluster: withState, allowed: true },
    { name: 'a session job whose job has no HA ConfigMap (finished, cleaned up)', old: () => sessionJob('ffffffffffffffffffffffffffffffff'), requester: PERSON, cluster: withState, allowed: true },
    { name: 'a session job the operator never submitted (no job id in status)', old: () => sessionJob(null), requester: PERSON, cluster: withState, allowed: true },
    { name: 'a session job whose status holds no Flink job id: fail closed', old: () => sessionJob('not-a-job-id'), requester: PERSON, cluster: withState, allowed: false },
    { name: 'a session job when the HA ConfigMaps could not be listed', old: () => sessionJob(), requester: PERSON, cluster: unreachable, allowed: false },
  ];
  for (const row of rows) {
    it(`${row.allowed ? 'allows' : 'denies'}: ${row.name}`, async () => {
      const d = await ask({ oldObject: row.old(), requester: row.requester, cluster: row.cluster(), phase: 'validate' });
      assert.equal(d.allowed, row.allowed, `allowed: ${d.status?.message ?? ''}`);
      assert.deepEqual(actionsOf(d, 'protect-flink-deployment'), [row.allowed ? 'passed' : 'denied'], 'one finding of the rule');
      if (!row.allowed) {
        assert.equal(d.status?.code, 403, 'denied with 403');
        assert.match(d.status.message, /\[protect-flink-deployment\]/, 'the message names the rule');
        assert.match(d.status.message, /flink-ha\.io\/release=<reason>/, 'the fix says how to release');
      }
      if (row.message) assert.match(d.status?.message ?? '', row.message, 'the message says why');
    });
  }

  it('an exempt label on the FlinkDeployment or a warn-mode namespace does not open the door', async () => {
    const exempt = fd();
    exempt.metadata!.labels = { 'flink-ha.io/exempt': 'true' };
    assert.equal((await ask({ oldObject: exempt, requester: PERSON, cluster: withState(), phase: 'validate' })).allowed, false, 'exempt label ignored');
    // The label exempts workload rules only with legacyExemptLabel (retired by FlinkHAExceptions): never the front door.
    assert.equal((await ask({ oldObject: exempt, requester: PERSON, cluster: withState(), config: TEMPLATE_CONFIG({ legacyExemptLabel: true }), phase: 'validate' })).allowed, false, 'exempt label ignored with legacyExemptLabel too');
    const warnNs = withState();
    warnNs.namespaces.set('default', { labels: { 'flink-ha.io/mode': 'audit' }, annotations: {} });
    assert.equal((await ask({ oldObject: fd(), requester: PERSON, cluster: warnNs, phase: 'validate' })).allowed, false, 'namespace mode label ignored');
  });

  it('follows guardMode, and an excluded namespace is exempt', async () => {
    const warned = await ask({ oldObject: fd(), requester: PERSON, cluster: withState(), config: TEMPLATE_CONFIG({ guardMode: 'warn' }), phase: 'validate' });
    assert.equal(warned.allowed, true, 'guardMode warn allows');
    assert.deepEqual(actionsOf(warned, 'protect-flink-deployment'), ['warned'], 'and warns');
    const excluded = await ask({ oldObject: fd(), requester: PERSON, cluster: withState(), config: TEMPLATE_CONFIG({ excludedNamespaces: ['default'] }), phase: 'validate' });
    assert.equal(excluded.allowed, true, 'excluded namespace');
  });
});

describe('protect-flink-deployment: the release annotation on a FlinkDeployment or FlinkSessionJob', () => {
  const released = (o: KubeObject, v: string | undefined): KubeObject => ({ ...o, metadata: { ...o.metadata, annotations: v === undefined ? {} : { [RELEASE]: v } } });
  const rows: Array<{ name: string; before: () => KubeObject; after: () => KubeObject; requester: Requester; allowed: boolean }> = [
    { name: 'a person sets it', before: () => fd(), after: () => released(fd(), 'mine now'), requester: PERSON, allowed: false },
    { name: 'a CD tool sets it', before: () => fd(), after: () => released(fd(), 'sync'), requester: ARGOCD, allowed: false },
    { name: 'a person removes it', before: () => released(fd(), 'x'), after: () => fd(), requester: PERSON, allowed: false },
    { name: 'a person changes its reason', before: () => released(fd(), 'x'), after: () => released(fd(), 'y'), requester: PERSON, allowed: false },
    { name: 'a person sets it on a session job', before: () => sessionJob(), after: () => released(sessionJob(), 'r'), requester: PERSON, allowed: false },
    { name: 'a cluster admin sets it', before: () => fd(), after: () => released(fd(), 'decommissioned'), requester: ADMIN, allowed: true },
    { name: 'the operator (an owner) sets it', before: () => fd(), after: () => released(fd(), 'x'), requester: OPERATOR_SA, allowed: true },
    { name: 'a person edits something else and leaves it as it was', before: () => released(fd(), 'x'), after: () => ({ ...released(fd(), 'x'), metadata: { ...released(fd(), 'x').metadata, labels: { team: 'a' } } }), requester: PERSON, allowed: true },
  ];
  for (const row of rows) {
    it(`${row.allowed ? 'allows' : 'denies'}: ${row.name}`, async () => {
      const d = await ask({ object: row.after(), oldObject: row.before(), requester: row.requester, cluster: withState(), phase: 'validate' });
      assert.equal(d.allowed, row.allowed, `allowed: ${d.status?.message ?? ''}`);
      if (!row.allowed) assert.match(d.status!.message, /\[protect-flink-deployment\].*may not set, change or remove flink-ha\.io\/release/, 'names the rule and the mark');
    });
  }
});

describe('protect-flink-deployment: created already released', () => {
  it('denies a person who creates a FlinkDeployment carrying the release annotation (it would open a later delete)', async () => {
    const d = await ask({ object: fd('orders', undefined, { [RELEASE]: 'x' }), requester: PERSON, cluster: withState(), phase: 'validate' });
    assert.equal(d.allowed, false, 'denied');
    assert.match(d.status!.message, /\[protect-flink-deployment\].*may not set/, 'names the rule');
  });
  it('allows a cluster admin to create it released, and anyone to create it without the mark', async () => {
    assert.equal((await ask({ object: fd('orders', undefined, { [RELEASE]: 'x' }), requester: ADMIN, cluster: withState(), phase: 'validate' })).allowed, true, 'admin');
    assert.deepEqual(actionsOf(await ask({ object: fd('orders'), requester: PERSON, cluster: withState(), phase: 'validate' }), 'protect-flink-deployment'), [], 'no mark: nothing to say');
  });
});

describe('protect-flink-deployment: updates after which the operator deletes the HA state', () => {
  const job = (upgradeMode: string, state = 'running') => ({ jarURI: 'local:///opt/flink/app.jar', upgradeMode, state });
  const rows: Array<{ name: string; before: () => KubeObject; after: () => KubeObject; cluster?: () => FakeCluster; allowed: boolean; action: string }> = [
    { name: 'a running last-state job suspended with upgradeMode: stateless', before: () => fd('orders', job('last-state')), after: () => fd('orders', job('stateless', 'suspended')), allowed: false, action: 'denied' },
    { name: 'a running stateless job suspended', before: () => fd('orders', job('stateless')), after: () => fd('orders', job('stateless', 'suspended')), allowed: false, action: 'denied' },
    { name: 'a running last-state job switched to stateless', before: () => fd('orders', job('last-state')), after: () => fd('orders', job('stateless')), allowed: false, action: 'denied' },
    { name: 'a running savepoint job switched to stateless (upgradeMode left out: the default)', before: () => fd('orders', job('savepoint')), after: () => fd('orders', { jarURI: 'local:///opt/flink/app.jar' }), allowed: false, action: 'denied' },
    { name: 'the same switch when the HA ConfigMaps could not be listed', before: () => fd('orders', job('last-state')), after: () => fd('orders', job('stateless')), cluster: unreachable, allowed: false, action: 'denied' },
    { name: 'a running job suspended with last-state (the operator keeps the HA ConfigMaps)', before: () => fd('orders', job('last-state')), after: () => fd('orders', job('last-state', 'suspended')), allowed: true, action: '' },
    { name: 'a running job suspended with savepoint', before: () => fd('orders', job('savepoint')), after: () => fd('orders', job('savepoint', 'suspended')), allowed: true, action: '' },
    { name: 'switched to stateless with no HA state', before: () => fd('payments', job('last-state')), after: () => fd('payments', job('stateless')), allowed: true, action: 'passed' },
    { name: 'a suspended job switched to stateless (nothing running to cancel)', before: () => fd('orders', job('last-state', 'suspended')), after: () => fd('orders', job('stateless', 'suspended')), allowed: true, action: '' },
    { name: 'switched to stateless after an admin released it', before: () => fd('orders', job('last-state'), { [RELEASE]: 'reset' }), after: () => fd('orders', job('stateless'), { [RELEASE]: 'reset' }), allowed: true, action: 'passed' },
  ];
  for (const row of rows) {
    it(`${row.allowed ? 'allows' : 'denies'}: ${row.name}`, async () => {
      const d = await ask({ object: row.after(), oldObject: row.before(), requester: PERSON, cluster: (row.cluster ?? withState)(), phase: 'validate' });
      assert.equal(d.allowed, row.allowed, `allowed: ${d.status?.message ?? ''}`);
      assert.deepEqual(actionsOf(d, 'protect-flink-deployment'), row.action ? [row.action] : [], 'the rule\'s finding');
      if (!row.allowed) assert.match(d.status!.message, /\[protect-flink-deployment\].*(stateless|could not)/, 'names the rule and the transition');
    });
  }
});

describe('protect-flink-deployment: FlinkDeployments left to the operator are still behind the front door', () => {
  const canary = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, labels: { 'flink.apache.org/canary': 'true' } } });
  const blueChild = (o: KubeObject): KubeObject => ({
    ...o, metadata: { ...o.metadata, ownerReferences: [{ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkBlueGreenDeployment', name: 'orders-bg', uid: '6f1c2d8e-0000-4000-8000-00000000000b', controller: true }] },
  });
  const rows: Array<{ name: string; old: () => KubeObject; requester: Requester; cluster: () => FakeCluster; allowed: boolean }> = [
    { name: 'a person deletes a FlinkDeployment carrying the canary label (anyone who edits it can add one) whose cluster holds HA state', old: () => canary(fd()), requester: PERSON, cluster: withState, allowed: false },
    { name: 'the garbage collector deletes a FlinkBlueGreenDeployment\'s child holding HA state (the parent was deleted)', old: () => blueChild(fd()), requester: GC, cluster: withState, allowed: false },
    { name: 'a person deletes such a child directly', old: () => blueChild(fd()), requester: PERSON, cluster: withState, allowed: false },
    { name: 'a released child', old: () => blueChild(fd('orders', undefined, { [RELEASE]: 'bg retired' })), requester: GC, cluster: withState, allowed: true },
    { name: 'a real canary: no HA state', old: () => canary(fd('canary-check')), requester: PERSON, cluster: withState, allowed: true },
  ];
  for (const row of rows) {
    it(`${row.allowed ? 'allows' : 'denies'}: ${row.name}`, async () => {
      const d = await ask({ oldObject: row.old(), requester: row.requester, cluster: row.cluster(), phase: 'validate' });
      assert.equal(d.allowed, row.allowed, `allowed: ${d.status?.message ?? ''}`);
      assert.deepEqual(actionsOf(d, 'protect-flink-deployment'), [row.allowed ? 'passed' : 'denied'], 'the rule decided');
    });
  }

  it('denies a person who adds the canary label and the release annotation in one update', async () => {
    const after = canary(fd('orders', undefined, { [RELEASE]: 'now a canary' }));
    const d = await ask({ object: after, oldObject: fd(), requester: PERSON, cluster: withState(), phase: 'validate' });
    assert.equal(d.allowed, false, 'denied');
    assert.match(d.status!.message, /\[protect-flink-deployment\].*may not set/, 'the mark');
  });

  it('leaves a FlinkBlueGreenDeployment itself to its children: its own delete is not judged here', async () => {
    const bg: KubeObject = { apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkBlueGreenDeployment', metadata: { name: 'orders', namespace: 'default' }, spec: { template: { spec: fd().spec } } };
    const d = await ask({ oldObject: bg, requester: PERSON, cluster: withState(), phase: 'validate' });
    assert.deepEqual(actionsOf(d, 'protect-flink-deployment'), [], 'no finding');
  });
});
