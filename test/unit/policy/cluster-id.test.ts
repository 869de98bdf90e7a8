import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, applyPatch, ask, fakeCluster, fixture, withField } from '../../support/policy.ts';
import { toClusterId, isValidClusterId } from '../../../src/flink/config-keys.ts';

const conf = (cm: any): string => cm.data['flink-conf.yaml'];

describe('cluster-id', () => {
  it('derives the id of a standalone cluster from the app label its ConfigMap shares with its pods', async () => {
    const cm = fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap');
    const d = await ask({ object: cm });
    assert.deepEqual(actionsOf(d, 'cluster-id'), ['mutated']);
    assert.match(conf(applyPatch(cm, d)), /^kubernetes\.cluster-id: flink$/m);
  });

  it('derives the same id for the JobManager and the TaskManager (never their Deployment names)', async () => {
    const jm = fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
    const tm = fixture('flink/taskmanager-session-deployment.yaml', 'Deployment');
    const cm = fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap');
    const cluster = fakeCluster({ configMaps: new Map([['default/flink-config', cm]]) });
    const args = async (o: any) => (applyPatch(o, await ask({ object: o, cluster })) as any).spec.template.spec.containers[0].args as string[];
    assert.ok((await args(jm)).includes('-Dkubernetes.cluster-id=flink'), 'the JobManager gets -Dkubernetes.cluster-id=flink');
    assert.ok((await args(tm)).includes('-Dkubernetes.cluster-id=flink'), 'the TaskManager gets -Dkubernetes.cluster-id=flink');
  });

  it('keeps a valid explicit id', async () => {
    const cm = fixture('flink/native-jobmanager.yaml', 'ConfigMap');
    assert.deepEqual(actionsOf(await ask({ object: cm }), 'cluster-id'), ['passed']);
  });

  for (const bad of ['Orders_ETL', '1orders', 'orders-', 'a'.repeat(46), '<cluster-id>']) {
    it(`denies the invalid explicit id '${bad.length > 20 ? `${bad.slice(0, 8)}... (${bad.length} chars)` : bad}'`, async () => {
      const cm = fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap');
      (cm.data as Record<string, string>)['flink-conf.yaml'] += `kubernetes.cluster-id: ${bad}\n`;
      const d = await ask({ object: cm });
      assert.deepEqual(actionsOf(d, 'cluster-id'), ['denied']);
      assert.equal(d.allowed, false);
    });
  }

  it('never injects kubernetes.cluster-id into a FlinkDeployment (the operator forbids it)', async () => {
    const fdObj = fixture('upstream/basic.yaml', 'FlinkDeployment');
    const d = await ask({ object: fdObj, phase: 'mutate' });
    assert.ok(!JSON.stringify(d.patch).includes('cluster-id'), `no cluster-id in the FlinkDeployment patch: ${JSON.stringify(d.patch)}`);
  });

  it('denies a second cluster with an id already used in the namespace', async () => {
    const jm = fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
    const cluster = fakeCluster({ clusterIds: new Map([['default', [{ clusterId: 'flink', owner: 'Deployment/other-jobmanager' }]]]) });
    const d = await ask({ object: jm, cluster, phase: 'validate' });
    assert.deepEqual(actionsOf(d, 'cluster-id'), ['denied']);
    assert.match(d.status!.message, /already used by Deployment\/other-jobmanager/);
  });

  it('does not count the cluster itself as a duplicate (an UPDATE)', async () => {
    const jm = fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
    const cluster = fakeCluster({ clusterIds: new Map([['default', [{ clusterId: 'flink', owner: 'Deployment/flink-jobmanager' }]]]) });
    assert.deepEqual(actionsOf(await ask({ object: jm, oldObject: jm, cluster, phase: 'validate' }), 'cluster-id'), ['passed']);
  });

  it('a FlinkDeployment whose name collides with a standalone cluster is denied', async () => {
    const fdObj = withField(fixture('upstream/basic.yaml', 'FlinkDeployment'), 'metadata.name', 'flink');
    const cluster = fakeCluster({ clusterIds: new Map([['default', [{ clusterId: 'flink', owner: 'Deployment/flink-jobmanager' }]]]) });
    assert.deepEqual(actionsOf(await ask({ object: fdObj, cluster, phase: 'validate' }), 'cluster-id'), ['denied']);
  });

  it('says it could not check uniqueness when the cluster cannot be asked', async () => {
    const jm = fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
    const cluster = fakeCluster({ clusterIds: new Map() });
    assert.deepEqual(actionsOf(await ask({ object: jm, cluster, phase: 'validate' }), 'cluster-id'), ['unchecked']);
  });

  it('turns labels into valid ids', () => {
    assert.equal(toClusterId('Orders_ETL'), 'orders-etl');
    assert.equal(toClusterId('42-flink'), 'flink');
    assert.equal(toClusterId('___'), undefined);
    assert.ok(isValidClusterId(toClusterId('x'.repeat(80))!), `an 80-character label gives a valid id: ${toClusterId('x'.repeat(80))}`);
  });
});
