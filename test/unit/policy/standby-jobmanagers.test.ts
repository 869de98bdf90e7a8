import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, applyPatch, ask, fixture, TEMPLATE_CONFIG, withField } from '../../support/policy.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

const session = () => fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
const application = () => fixture('upstream/jobmanager-application-ha.yaml', 'Job');
const native = () => fixture('flink/native-jobmanager.yaml', 'Deployment');
const fdObj = () => fixture('upstream/basic.yaml', 'FlinkDeployment');

const rows: Array<{ name: string; object: KubeObject; path: string; action: string; after?: number; min?: number }> = [
  { name: 'FlinkDeployment: spec.jobManager.replicas', object: fdObj(), path: 'spec.jobManager.replicas', action: 'mutated', after: 2 },
  { name: 'standalone session: the JobManager Deployment replicas', object: session(), path: 'spec.replicas', action: 'mutated', after: 2 },
  { name: 'standalone application: the JobManager Job parallelism', object: application(), path: 'spec.parallelism', action: 'mutated', after: 2 },
  { name: 'native: the JobManager Deployment replicas', object: native(), path: 'spec.replicas', action: 'mutated', after: 2 },
  { name: 'minJobManagers from config', object: session(), path: 'spec.replicas', action: 'mutated', after: 3, min: 3 },
  { name: 'already enough: no patch', object: withField(session(), 'spec.replicas', 3), path: 'spec.replicas', action: 'passed', after: 3 },
  { name: 'scaled to zero on purpose: left as is', object: withField(session(), 'spec.replicas', 0), path: 'spec.replicas', action: 'passed', after: 0 },
];

describe('standby-jobmanagers', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.object, config: TEMPLATE_CONFIG(row.min ? { minJobManagers: row.min } : {}) });
      assert.deepEqual(actionsOf(d, 'standby-jobmanagers'), [row.action]);
      const after = applyPatch(row.object, d) as Record<string, any>;
      assert.equal(row.path.split('.').reduce((o, k) => o?.[k], after), row.after);
    });
  }

  it('never touches TaskManagers, Pods or operator-owned Deployments', async () => {
    assert.deepEqual(actionsOf(await ask({ object: fixture('flink/taskmanager-session-deployment.yaml', 'Deployment') }), 'standby-jobmanagers'), []);
    const owned = withField(native(), 'metadata.ownerReferences', [{ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', name: 'orders-etl', uid: 'u1' }]);
    const d = await ask({ object: owned });
    assert.deepEqual(d.patch, []);
    assert.deepEqual(actionsOf(d, 'standby-jobmanagers'), []);
  });

  it('native config ConfigMap gets kubernetes.jobmanager.replicas to match', async () => {
    const cm = fixture('flink/native-jobmanager.yaml', 'ConfigMap');
    const d = await ask({ object: cm });
    assert.deepEqual(actionsOf(d, 'standby-jobmanagers'), ['mutated']);
    assert.match((applyPatch(cm, d).data as Record<string, string>)['config.yaml']!, /kubernetes\.jobmanager\.replicas: '2'/);
  });

  it('denies a replicas field that is not a number, naming its path, and writes nothing over it', async () => {
    const d = await ask({ object: withField(fdObj(), 'spec.jobManager.replicas', 'two') });
    assert.equal(d.allowed, false);
    assert.deepEqual(d.patch, []);
    const errors = d.findings.filter((f) => f.rule === 'policy-error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /spec\.jobManager\.replicas must be a whole number; found a string/);
  });
});
