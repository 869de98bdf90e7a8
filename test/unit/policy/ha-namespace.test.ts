import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, applyPatch, ask, fixture } from '../../support/policy.ts';

describe('ha-namespace', () => {
  it('sets kubernetes.namespace to the ConfigMap\'s namespace (standalone defaults to `default`)', async () => {
    const cm = fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap');
    const d = await ask({ object: cm, namespace: 'analytics' });
    assert.deepEqual(actionsOf(d, 'ha-namespace'), ['mutated']);
    assert.match((applyPatch(cm, d).data as Record<string, string>)['flink-conf.yaml']!, /^kubernetes\.namespace: analytics$/m);
  });

  it('denies a kubernetes.namespace that points elsewhere', async () => {
    const cm = fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap');
    (cm.data as Record<string, string>)['flink-conf.yaml'] += 'kubernetes.namespace: default\n';
    const d = await ask({ object: cm, namespace: 'analytics' });
    assert.deepEqual(actionsOf(d, 'ha-namespace'), ['denied']);
    assert.match(d.status!.message, /differs from the workload's namespace analytics/);
  });

  it('leaves native config (the Flink client sets it) and FlinkDeployments (the operator sets it) alone', async () => {
    assert.deepEqual(actionsOf(await ask({ object: fixture('flink/native-jobmanager.yaml', 'ConfigMap'), namespace: 'x' }), 'ha-namespace'), []);
    const d = await ask({ object: fixture('upstream/basic.yaml', 'FlinkDeployment') });
    assert.deepEqual(actionsOf(d, 'ha-namespace'), []);
    assert.ok(!JSON.stringify(d.patch).includes('kubernetes.namespace'), `no kubernetes.namespace in the FlinkDeployment patch: ${JSON.stringify(d.patch)}`);
  });
});
