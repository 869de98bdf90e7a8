import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { actionsOf, applyPatch, ask, fixture, withField } from '../../support/policy.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

const FD = 'upstream/basic.yaml';
const HA_FD = 'upstream/basic-checkpoint-ha.yaml';

interface Row {
  name: string;
  object: KubeObject;
  action: string;
  /** The flattened config value expected after the patch, per key. */
  expect?: Record<string, string>;
  message?: RegExp;
}

const flinkConf = (cm: KubeObject): string => (cm.data as Record<string, string>)['flink-conf.yaml'] ?? '';

const rows: Row[] = [
  { name: 'FlinkDeployment without HA (operator example basic.yaml) gets high-availability.type', object: fixture(FD, 'FlinkDeployment'), action: 'mutated', expect: { 'high-availability.type': 'kubernetes' } },
  { name: 'FlinkDeployment with nested HA (basic-checkpoint-ha.yaml) is left alone', object: fixture(HA_FD, 'FlinkDeployment'), action: 'passed' },
  { name: 'FlinkDeployment on Flink 1.16 gets the old key with the factory class', object: withField(fixture(FD, 'FlinkDeployment'), 'spec.flinkVersion', 'v1_16'), action: 'mutated', expect: { 'high-availability': 'org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory' } },
  { name: 'the deprecated key high-availability: kubernetes is HA', object: withField(fixture(FD, 'FlinkDeployment'), 'spec.flinkConfiguration', { 'high-availability': 'kubernetes' }), action: 'passed' },
  { name: 'the factory class name is HA', object: withField(fixture(FD, 'FlinkDeployment'), 'spec.flinkConfiguration', { 'high-availability': 'org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory' }), action: 'passed' },
  { name: 'recovery.mode (the oldest alias) is read too', object: withField(fixture(FD, 'FlinkDeployment'), 'spec.flinkConfiguration', { 'recovery.mode': 'zookeeper', 'high-availability.storageDir': 's3://x' }), action: 'passed', message: /ZooKeeper/ },
  { name: 'ZooKeeper HA is accepted as HA', object: withField(fixture(FD, 'FlinkDeployment'), 'spec.flinkConfiguration', { 'high-availability.type': 'ZooKeeper' }), action: 'passed', message: /ZooKeeper HA is on/ },
  { name: 'an explicit NONE is denied with the reason, never overwritten', object: withField(fixture(FD, 'FlinkDeployment'), 'spec.flinkConfiguration', { 'high-availability.type': 'NONE' }), action: 'denied', message: /turns high availability off/ },
  { name: 'an explicit NONE nested is denied too', object: withField(fixture(FD, 'FlinkDeployment'), 'spec.flinkConfiguration', { 'high-availability': { type: 'none' } }), action: 'denied' },
];

describe('ha-enabled', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.object });
      // basic.yaml's job is stateless: the FLINK-38049 warning (its own rows below) comes on top.
      const actions = d.findings.filter((f) => f.rule === 'ha-enabled' && !/FLINK-38049/.test(f.message)).map((f) => f.action);
      assert.deepEqual(actions, [row.action], 'the rule\'s answer');
      if (row.message) assert.match(d.findings.find((f) => f.rule === 'ha-enabled')!.message, row.message);
      if (row.action === 'denied') {
        assert.equal(d.allowed, false);
        assert.equal(d.patch.length, 0);
        assert.match(d.status!.message, /\[ha-enabled\].*Fix: set high-availability/);
      }
      if (row.expect) {
        const after = applyPatch(row.object, d) as { spec: { flinkConfiguration: Record<string, unknown> } };
        for (const [k, v] of Object.entries(row.expect)) assert.equal(after.spec.flinkConfiguration[k], v);
      }
    });
  }

  it('warns, naming FLINK-38049, when a stateless job (explicit or by default) runs with HA, added or its own', async () => {
    const stateless = fixture(FD, 'FlinkDeployment');
    const byDefault = withField(fixture(FD, 'FlinkDeployment'), 'spec.job.upgradeMode', undefined);
    const ownHa = withField(fixture(FD, 'FlinkDeployment'), 'spec.flinkConfiguration', { 'high-availability.type': 'kubernetes' });
    for (const [name, fd] of [['stateless', stateless], ['upgradeMode unset', byDefault], ['its own HA', ownHa]] as const) {
      const d = await ask({ object: fd });
      const warning = d.findings.find((f) => f.rule === 'ha-enabled' && f.action === 'warned');
      assert.match(warning?.message ?? '', /upgradeMode: stateless.*FLINK-38049/, `${name}: warned`);
      assert.match(warning?.fix ?? '', /upgradeMode: last-state/, `${name}: the fix`);
      assert.ok(d.warnings.some((w) => w.startsWith('[ha-enabled]') && /FLINK-38049/.test(w)), `${name}: an admission warning`);
    }
  });

  it('does not warn for last-state and savepoint jobs, or a session cluster', async () => {
    const lastState = withField(fixture(FD, 'FlinkDeployment'), 'spec.job.upgradeMode', 'last-state');
    const session = withField(fixture(FD, 'FlinkDeployment'), 'spec.job', undefined);
    for (const fd of [lastState, fixture(HA_FD, 'FlinkDeployment'), session]) {
      const d = await ask({ object: fd });
      assert.ok(!d.findings.some((f) => /FLINK-38049/.test(f.message)), `${fd.metadata?.name}: no stateless warning`);
    }
  });

  it('writes into the nested map when the config is nested', async () => {
    const fd = withField(fixture(FD, 'FlinkDeployment'), 'spec.flinkConfiguration', { 'high-availability': { storageDir: 's3://b/ha' } });
    const after = applyPatch(fd, await ask({ object: fd })) as { spec: { flinkConfiguration: Record<string, Record<string, string>> } };
    assert.deepEqual(after.spec.flinkConfiguration['high-availability'], { storageDir: 's3://b/ha', type: 'kubernetes' });
  });

  it('standalone flink-conf.yaml gets the key every Flink 1.x reads, appended to the user text', async () => {
    const cm = fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap');
    const d = await ask({ object: cm });
    assert.deepEqual(actionsOf(d, 'ha-enabled'), ['mutated']);
    const text = flinkConf(applyPatch(cm, d));
    assert.ok(text.startsWith(flinkConf(cm)), 'the user text is kept as it was');
    assert.match(text, /^high-availability: org\.apache\.flink\.kubernetes\.highavailability\.KubernetesHaServicesFactory$/m);
  });

  it("the operator chart's own config ConfigMap (flink-conf.yaml beside log4j-operator.properties) is not mutated", async () => {
    // Seen with the real operator (test/e2e/operator.test.ts): HA keys, cluster-id and kubernetes.namespace written
    // into flink-operator-config became defaults of every FlinkDeployment, and the operator refused them all.
    const cm: KubeObject = {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flink-operator-config', namespace: 'flink-operator-system' },
      data: { 'flink-conf.yaml': 'kubernetes.operator.reconcile.interval: 15 s\n', 'log4j-operator.properties': 'rootLogger.level = INFO\n' },
    };
    const d = await ask({ object: cm });
    assert.deepEqual(d.patch ?? [], [], `no patch for the operator's config: ${JSON.stringify(d.patch)}`);
    assert.deepEqual(d.findings, [], 'no finding either: it is not a Flink cluster config');
  });

  it('config.yaml (Flink 1.19+) gets high-availability.type in standard YAML', async () => {
    const cm = fixture('flink/native-jobmanager.yaml', 'ConfigMap');
    const after = applyPatch(cm, await ask({ object: cm }));
    const parsed = yaml.load((after.data as Record<string, string>)['config.yaml']!) as Record<string, unknown>;
    assert.equal(parsed['high-availability.type'], 'kubernetes');
  });

  it('a standalone Deployment whose ConfigMap has HA is not touched', async () => {
    const jm = fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
    const cm = fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap');
    (cm.data as Record<string, string>)['flink-conf.yaml'] += 'high-availability.type: kubernetes\n';
    const { fakeCluster } = await import('../../support/policy.ts');
    const d = await ask({ object: jm, cluster: fakeCluster({ configMaps: new Map([['default/flink-config', cm]]) }) });
    assert.deepEqual(actionsOf(d, 'ha-enabled'), ['passed']);
  });

  it('a standalone Deployment whose ConfigMap cannot be read is reported unchecked, with no -D added', async () => {
    const jm = fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
    const d = await ask({ object: jm });
    assert.deepEqual(actionsOf(d, 'ha-enabled'), ['unchecked']);
    assert.ok(!JSON.stringify(d.patch).includes('-Dhigh-availability'), `no -Dhigh-availability when the ConfigMap cannot be read: ${JSON.stringify(d.patch)}`);
  });

  it('a -D arg wins over the file, as Flink reads it', async () => {
    const jm = fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
    const c = (jm.spec as any).template.spec.containers[0];
    c.args = [...c.args, '-Dhigh-availability.type=NONE'];
    const cm = fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap');
    (cm.data as Record<string, string>)['flink-conf.yaml'] += 'high-availability.type: kubernetes\n';
    const { fakeCluster } = await import('../../support/policy.ts');
    const d = await ask({ object: jm, cluster: fakeCluster({ configMaps: new Map([['default/flink-config', cm]]) }) });
    assert.deepEqual(actionsOf(d, 'ha-enabled'), ['denied']);
    assert.match(d.findings[0]!.message, /container jobmanager args/);
  });

  it('never adds -D args where Flink would not read them: a native JobManager (bash -c) is reported, its ConfigMap is where HA goes', async () => {
    const jm = fixture('flink/native-jobmanager.yaml', 'Deployment');
    const cm = fixture('flink/native-jobmanager.yaml', 'ConfigMap');
    const { fakeCluster } = await import('../../support/policy.ts');
    const d = await ask({ object: jm, cluster: fakeCluster({ configMaps: new Map([['default/flink-config-orders-etl', cm]]) }) });
    assert.deepEqual(actionsOf(d, 'ha-enabled'), ['unchecked']);
    assert.match(d.findings.find((f) => f.rule === 'ha-enabled')!.message, /in native mode the config lives in ConfigMap flink-config-orders-etl/);
    assert.ok(!JSON.stringify(d.patch).includes('-D'), `no -D args in native mode: ${JSON.stringify(d.patch)}`);
    assert.deepEqual(actionsOf(d, 'cluster-id').slice(0, 1), ['passed'], 'values the ConfigMap has are still read');
  });

  it('FLINK_PROPERTIES is read as a carrier', async () => {
    const jm = fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
    const spec = (jm.spec as any).template.spec;
    spec.volumes = [];
    spec.containers[0].volumeMounts = [];
    spec.containers[0].env.push({ name: 'FLINK_PROPERTIES', value: 'high-availability.type: kubernetes\nhigh-availability.storageDir: s3://b/ha\n' });
    const d = await ask({ object: jm });
    assert.deepEqual(actionsOf(d, 'ha-enabled'), ['passed']);
    assert.deepEqual(actionsOf(d, 'ha-storage-dir'), ['passed']);
  });
});
