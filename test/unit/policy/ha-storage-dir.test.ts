import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, applyPatch, ask, fixture, TEMPLATE_CONFIG, withField } from '../../support/policy.ts';
import { defaultConfig } from '../../../src/config/load.ts';

const fd = () => fixture('upstream/basic.yaml', 'FlinkDeployment');

describe('ha-storage-dir', () => {
  const rows = [
    { name: 'fills the template with namespace and cluster-id (FlinkDeployment: its name)', config: TEMPLATE_CONFIG(), object: fd(), namespace: 'payments', action: 'mutated', value: 's3://flink-ha/payments/basic-example' },
    { name: 'keeps a storageDir the user set', config: TEMPLATE_CONFIG(), object: fixture('upstream/basic-checkpoint-ha.yaml', 'FlinkDeployment'), namespace: 'default', action: 'passed' },
    { name: 'denies rather than invent a location when no template is configured', config: defaultConfig(), object: fd(), namespace: 'default', action: 'denied' },
    { name: 'says nothing when HA is explicitly off (ha-enabled denies that)', config: TEMPLATE_CONFIG(), object: withField(fd(), 'spec.flinkConfiguration', { 'high-availability.type': 'NONE' }), namespace: 'default', action: undefined },
    { name: 'treats an empty storageDir as missing', config: TEMPLATE_CONFIG(), object: withField(fd(), 'spec.flinkConfiguration', { 'high-availability.storageDir': '' }), namespace: 'default', action: 'mutated', value: 's3://flink-ha/default/basic-example' },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.object, namespace: row.namespace, config: row.config });
      assert.deepEqual(actionsOf(d, 'ha-storage-dir'), row.action ? [row.action] : []);
      if (row.value) {
        const after = applyPatch(row.object, d) as any;
        assert.equal(after.spec.flinkConfiguration['high-availability.storageDir'], row.value);
      }
      if (row.action === 'denied') assert.match(d.status!.message, /storageDirTemplate/);
    });
  }

  it('uses the cluster-id the cluster-id rule set, for a standalone ConfigMap', async () => {
    const cm = fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap');
    const after = applyPatch(cm, await ask({ object: cm, namespace: 'analytics' }));
    assert.match((after.data as Record<string, string>)['flink-conf.yaml']!, /^high-availability\.storageDir: s3:\/\/flink-ha\/analytics\/flink$/m);
  });
});
