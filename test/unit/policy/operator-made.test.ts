// cluster-id and the operator's marks: a JobManager is operator-made only when the API server proves it (an
// ownerReference to an existing FlinkDeployment with that uid, or the operator's own pod-bound token); and a new
// cluster over leftover HA state is warned about with the job and checkpoint it would resume (FLINK-30004).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, ask, fakeCluster, fixture, fixtures, FLINK_SA, OPERATOR_SA, PERSON, podBound, withField } from '../../support/policy.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { snapshotClusterView } from '../../../src/snapshot/cluster-view.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';
import type { Requester } from '../../../src/policy/types.ts';

const FD_UID = '5a1e0f3c-0000-4000-8000-00000000f1d0';
/** The standalone session JobManager (cluster-id `flink`, from its app label) of the upstream example. */
const jobManager = () => fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
const fdRef = (uid: string) => [{ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', name: 'flink', uid, controller: true, blockOwnerDeletion: true }];
const named = (name: string, o: KubeObject) => withField(o, 'metadata.name', name);
/** The JobManager with an explicit cluster-id arg, as a rogue sets one. */
const withArgs = (o: KubeObject, clusterId: string): KubeObject => {
  const copy = structuredClone(o) as any;
  copy.spec.template.spec.containers[0].args = ['jobmanager', `-Dkubernetes.cluster-id=${clusterId}`];
  return copy;
};
const spoofs: Array<[string, (o: KubeObject) => KubeObject]> = [
  ['the generation annotation', (o) => withField(o, 'metadata.annotations', { 'flinkdeployment.flink.apache.org/generation': '7' })],
  ['the generation annotation on the pod template', (o) => withField(o, 'spec.template.metadata.annotations', { 'flinkdeployment.flink.apache.org/generation': '7' })],
  ['the type=flink-standalone-kubernetes label', (o) => withField(o, 'metadata.labels', { ...o.metadata?.labels, type: 'flink-standalone-kubernetes' })],
];

describe('cluster-id: operator-made is proven, never read from a mark', () => {
  // FlinkDeployment `flink` runs cluster-id flink; a second JobManager with that id writes its leader and checkpoints.
  const clusterWith = (fdUid: string | null | undefined) => fakeCluster({
    clusterIds: new Map([['default', [{ clusterId: 'flink', owner: 'FlinkDeployment/flink' }]]]),
    flinkDeployments: new Map(fdUid === undefined ? [] : [['default/flink', fdUid === null ? null : { apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name: 'flink', uid: fdUid } }]]),
  });

  for (const [mark, spoof] of spoofs) {
    it(`denies a JobManager with ${mark} and another cluster's cluster-id`, async () => {
      const d = await ask({ object: spoof(jobManager()), cluster: clusterWith(FD_UID), requester: PERSON, phase: 'validate' });
      assert.deepEqual(actionsOf(d, 'cluster-id'), ['denied'], 'the spoofed mark does not skip uniqueness');
      assert.match(d.status?.message ?? '', /already used by FlinkDeployment\/flink.*operator's marks, which prove nothing/, 'the denial names the other cluster and the unproven mark');
    });
  }

  const rows: Array<{ name: string; object: () => KubeObject; fdUid: string | null | undefined; requester: Requester; operatorMade: boolean; actions?: string[]; why?: RegExp }> = [
    { name: 'an ownerReference to the existing FlinkDeployment with its uid, named after it', object: () => named('flink', withField(jobManager(), 'metadata.ownerReferences', fdRef(FD_UID))), fdUid: FD_UID, requester: PERSON, operatorMade: true },
    { name: 'the FlinkDeployment\'s real uid copied onto a JobManager of another name', object: () => withField(jobManager(), 'metadata.ownerReferences', fdRef(FD_UID)), fdUid: FD_UID, requester: PERSON, operatorMade: false, why: /names that one's JobManager flink, not flink-jobmanager/ },
    // Not operator-made, so checked as any JobManager: cluster-id other is unique here, and the finding says why.
    { name: 'an ownerReference with the right uid and name, but another cluster-id', object: () => withArgs(named('flink', withField(jobManager(), 'metadata.ownerReferences', fdRef(FD_UID))), 'other'), fdUid: FD_UID, requester: PERSON, operatorMade: false, actions: ['passed'], why: /runs cluster-id other, not its FlinkDeployment's flink/ },
    { name: 'an ownerReference with another uid (a FlinkDeployment of the same name, or made up)', object: () => withField(jobManager(), 'metadata.ownerReferences', fdRef('11111111-0000-4000-8000-000000000000')), fdUid: FD_UID, requester: PERSON, operatorMade: false, why: /but that one's uid is/ },
    { name: 'an ownerReference to a FlinkDeployment that does not exist', object: () => withField(jobManager(), 'metadata.ownerReferences', fdRef(FD_UID)), fdUid: null, requester: PERSON, operatorMade: false, why: /does not exist/ },
    { name: 'an ownerReference whose FlinkDeployment could not be looked up (fail closed)', object: () => withField(jobManager(), 'metadata.ownerReferences', fdRef(FD_UID)), fdUid: undefined, requester: PERSON, operatorMade: false, why: /could not be looked up/ },
    { name: 'the annotation, sent by the operator\'s own pod-bound ServiceAccount', object: () => spoofs[0]![1](jobManager()), fdUid: FD_UID, requester: OPERATOR_SA, operatorMade: true },
    { name: 'the annotation, sent with the operator\'s name and a made-up pod', object: () => spoofs[0]![1](jobManager()), fdUid: FD_UID, requester: { ...OPERATOR_SA, extra: podBound('made-up') }, operatorMade: false, why: /made-up, which does not exist/ },
    { name: 'the annotation, sent by Flink\'s own ServiceAccount (an owner of HA state, not the operator)', object: () => spoofs[0]![1](jobManager()), fdUid: FD_UID, requester: FLINK_SA, operatorMade: false },
  ];
  for (const row of rows) {
    it(`${row.operatorMade ? 'takes' : 'does not take'} a JobManager for operator-made with ${row.name}`, async () => {
      const d = await ask({ object: row.object(), cluster: clusterWith(row.fdUid), requester: row.requester, phase: 'validate' });
      // Operator-made: its FlinkDeployment stands for the cluster (no duplicate); otherwise the duplicate is denied.
      assert.deepEqual(actionsOf(d, 'cluster-id'), row.actions ?? (row.operatorMade ? [] : ['denied']), `cluster-id findings: ${d.status?.message ?? ''}`);
      const said = d.findings.filter((f) => f.rule === 'cluster-id').map((f) => f.message).join('\n');
      if (row.why) assert.match(said, row.why, 'the finding says why the claim is not proven');
    });
  }

  it('checks an unproven operator-marked JobManager with a cluster-id of its own as a standalone one: passed', async () => {
    const own = withArgs(spoofs[0]![1](jobManager()), 'rogue');
    const d = await ask({ object: own, cluster: clusterWith(FD_UID), phase: 'validate' });
    assert.deepEqual(actionsOf(d, 'cluster-id'), ['passed'], 'a unique id passes');
    assert.equal(d.allowed, true, d.status?.message);
  });
});

describe('cluster-id: a new cluster over leftover HA state (FLINK-30004)', () => {
  const native = () => fixture('flink/native-jobmanager.yaml', 'Deployment'); // cluster-id orders-etl
  const haState = () => [
    fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-cluster-config-map'),
    fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-00000000000000000000000000000000-config-map'),
  ];
  const stamped = (o: KubeObject, at: string) => withField(o, 'metadata.creationTimestamp', at);

  it('admits a JobManager created over leftover HA state with a warning naming the job and its latest checkpoint', async () => {
    const cluster = fakeCluster({ haConfigMaps: new Map([['default/orders-etl', haState()]]) });
    const d = await ask({ object: native(), cluster, phase: 'validate' });
    assert.equal(d.allowed, true, d.status?.message);
    assert.deepEqual(actionsOf(d, 'cluster-id'), ['passed', 'warned'], 'unique, with leftover state');
    const warning = d.warnings.find((w) => w.includes('FLINK-30004')) ?? '';
    assert.match(warning, /job 00000000000000000000000000000000 \(latest checkpoint 1042\)/, 'the warning names the job and checkpoint it resumes');
    assert.match(warning, /orders-etl-cluster-config-map/, 'the warning names the ConfigMaps');
  });

  it('warns on a FlinkDeployment created over leftover HA state as well', async () => {
    const fd = withField(fixture('upstream/basic.yaml', 'FlinkDeployment'), 'metadata.name', 'orders-etl');
    const cluster = fakeCluster({ haConfigMaps: new Map([['default/orders-etl', haState()]]) });
    const d = await ask({ object: fd, cluster, phase: 'validate' });
    assert.ok(actionsOf(d, 'cluster-id').includes('warned'), `cluster-id: ${actionsOf(d, 'cluster-id').join(', ')}`);
  });

  it('denies it when a live other cluster runs the id (the HA state is that one\'s)', async () => {
    const cluster = fakeCluster({ clusterIds: new Map([['default', [{ clusterId: 'orders-etl', owner: 'FlinkDeployment/orders-etl' }]]]), haConfigMaps: new Map([['default/orders-etl', haState()]]) });
    const d = await ask({ object: native(), cluster, phase: 'validate' });
    assert.deepEqual(actionsOf(d, 'cluster-id'), ['denied'], 'a live duplicate is denied, not warned');
  });

  it('says nothing of HA state the cluster wrote itself (newer than it: an audit of a running cluster) or on an UPDATE', async () => {
    const cluster = fakeCluster({ haConfigMaps: new Map([['default/orders-etl', haState().map((cm) => stamped(cm, '2026-12-01T10:00:05Z'))]]) });
    const audited = await ask({ object: stamped(native(), '2026-12-01T10:00:00Z'), cluster, phase: 'validate' });
    assert.deepEqual(actionsOf(audited, 'cluster-id'), ['passed'], 'its own HA state is no leftover');
    const update = await ask({ object: native(), oldObject: native(), cluster: fakeCluster({ haConfigMaps: new Map([['default/orders-etl', haState()]]) }), phase: 'validate' });
    assert.deepEqual(actionsOf(update, 'cluster-id'), ['passed'], 'an UPDATE resumes nothing new');
  });

  it('says it could not check when the HA ConfigMaps cannot be read (never pretends)', async () => {
    const cluster = fakeCluster();
    cluster.haConfigMapsOf = () => Promise.resolve(undefined);
    const d = await ask({ object: native(), cluster, phase: 'validate' });
    assert.deepEqual(actionsOf(d, 'cluster-id'), ['passed', 'unchecked'], 'unchecked, not passed alone');
  });
});

describe('the offline listing of cluster-ids: an unproven operator mark does not hide a JobManager', () => {
  it('lists the spoofed JobManager as a cluster of its own, and the operator\'s own JobManager as its FlinkDeployment', async () => {
    const objects = [...fixtures('identity/spoofed-operator-mark.yaml'), ...fixtures('identity/operator-made.yaml')].map((object) => ({ object }));
    const view = snapshotClusterView({ objects, defaultNamespace: 'default' }, defaultConfig().imagePatterns.map((p) => new RegExp(p)));
    assert.deepEqual(await view.knownFlinkClusterIds!('team-id'), [
      { clusterId: 'orders', owner: 'FlinkDeployment/orders' },
      { clusterId: 'orders', owner: 'Deployment/rogue-jobmanager' },
      { clusterId: 'billing', owner: 'FlinkDeployment/billing' },
    ], 'the rogue is listed with the cluster-id it runs; Deployment billing (owned by FlinkDeployment billing with its uid) is not');
  });
});
