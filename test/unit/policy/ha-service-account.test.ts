import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, applyPatch, ask, fakeCluster, fixture, withField } from '../../support/policy.ts';
import { OFFLINE_CLUSTER } from '../../../src/policy/types.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

const tm = () => fixture('flink/taskmanager-session-deployment.yaml', 'Deployment');
const tmPod = () => fixture('flink/native-taskmanager-pod.yaml', 'Pod');
const sa = (o: KubeObject): unknown => (o.kind === 'Pod' ? (o.spec as any).serviceAccountName : o.kind === 'FlinkDeployment' ? (o.spec as any).serviceAccount : (o.spec as any).template.spec.serviceAccountName);

describe('ha-service-account', () => {
  const rows = [
    { name: 'binds the HA ServiceAccount to a TaskManager Deployment with none', object: tm(), cluster: fakeCluster(), action: 'mutated', sa: 'flink' },
    { name: 'binds it to a native TaskManager Pod (the safety net)', object: tmPod(), cluster: fakeCluster(), action: 'mutated', sa: 'flink' },
    { name: 'replaces the `default` ServiceAccount', object: withField(tm(), 'spec.template.spec.serviceAccountName', 'default'), cluster: fakeCluster(), action: 'mutated', sa: 'flink' },
    { name: 'keeps a ServiceAccount the user chose', object: fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment'), cluster: fakeCluster(), action: 'passed', sa: 'flink-service-account' },
    { name: 'sets spec.serviceAccount on a FlinkDeployment that has none (the operator requires it)', object: withField(fixture('upstream/basic.yaml', 'FlinkDeployment'), 'spec.serviceAccount', undefined), cluster: fakeCluster(), action: 'mutated', sa: 'flink' },
    { name: 'denies a controller when the ServiceAccount does not exist (binding it would break every Pod)', object: tm(), cluster: fakeCluster({ serviceAccounts: new Set() }), action: 'denied', sa: undefined },
    { name: 'only warns for a Pod when it does not exist (never break the safety net\'s Pods)', object: tmPod(), cluster: fakeCluster({ serviceAccounts: new Set() }), action: 'warned', sa: undefined },
    { name: 'binds, and says it could not check, when the cluster cannot be asked', object: tm(), cluster: OFFLINE_CLUSTER, action: 'mutated', sa: 'flink' },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.object, cluster: row.cluster, phase: 'mutate' });
      assert.deepEqual(actionsOf(d, 'ha-service-account'), [row.action]);
      assert.equal(sa(applyPatch(row.object, d)), row.sa ?? sa(row.object));
      if (row.action !== 'passed') assert.ok(d.findings.some((f) => f.rule === 'ha-service-account' && f.message.length > 20), `a ha-service-account finding that explains itself: ${JSON.stringify(d.findings)}`);
    });
  }

  it('warns when the ServiceAccount may not manage ConfigMaps (SubjectAccessReview says no)', async () => {
    const d = await ask({ object: fixture('upstream/basic-checkpoint-ha.yaml', 'FlinkDeployment'), cluster: fakeCluster({ rights: new Map([['default/flink', false]]) }), phase: 'validate' });
    assert.deepEqual(actionsOf(d, 'ha-service-account'), ['warned']);
    assert.equal(d.allowed, true);
    assert.ok(d.warnings.some((w) => w.startsWith('[ha-service-account]')), `a [ha-service-account] warning: ${JSON.stringify(d.warnings)}`);
  });

  it('never touches a Pod after creation (its spec is immutable)', async () => {
    const pod = tmPod();
    assert.deepEqual(actionsOf(await ask({ object: pod, oldObject: pod, phase: 'mutate' }), 'ha-service-account'), []);
  });
});
