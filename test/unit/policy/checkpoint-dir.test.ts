// checkpoint-dir: what the webhook admits, the operator's DefaultValidator accepts. A last-state or savepoint
// FlinkDeployment gets its checkpoint (and savepoint) directory from a template, in the key its Flink reads, or is
// denied with the fix; a stateless one needs none.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, applyPatch, ask, fakeCluster, TEMPLATE_CONFIG } from '../../support/policy.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

function fd(upgradeMode: string | undefined, flinkVersion = 'v2_2', conf: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment',
    metadata: { name: 'orders', namespace: 'default' },
    spec: {
      image: 'flink:2.2', flinkVersion, serviceAccount: 'flink', flinkConfiguration: { ...conf },
      jobManager: { resource: { cpu: 1, memory: '2048m' } }, taskManager: { resource: { cpu: 1, memory: '2048m' } },
      job: { jarURI: 'local:///opt/flink/app.jar', ...(upgradeMode ? { upgradeMode } : {}) },
    },
  };
}
const TEMPLATES = TEMPLATE_CONFIG({ checkpointDirTemplate: 's3://cp/{namespace}/{clusterId}', savepointDirTemplate: 's3://sp/{namespace}/{clusterId}' });
const conf = (o: KubeObject) => (o.spec as { flinkConfiguration: Record<string, unknown> }).flinkConfiguration;

describe('checkpoint-dir', () => {
  it('denies a last-state FlinkDeployment without a checkpoint dir when no template is configured, with the fix', async () => {
    const d = await ask({ object: fd('last-state'), cluster: fakeCluster() });
    assert.equal(d.allowed, false, 'denied');
    assert.deepEqual(actionsOf(d, 'checkpoint-dir'), ['denied'], 'by checkpoint-dir');
    assert.match(d.status!.message, /\[checkpoint-dir\] upgradeMode: last-state needs execution\.checkpointing\.dir.*Fix: set execution\.checkpointing\.dir .*checkpointDirTemplate/, 'says what and how');
  });

  it('sets execution.checkpointing.dir from the template for Flink 1.20+ and 2.x', async () => {
    for (const v of ['v1_20', 'v2_2']) {
      const d = await ask({ object: fd('last-state', v), config: TEMPLATES });
      assert.equal(d.allowed, true, `${v} allowed`);
      assert.deepEqual(actionsOf(d, 'checkpoint-dir'), ['mutated'], `${v} mutated`);
      assert.equal(conf(applyPatch(fd('last-state', v), d))['execution.checkpointing.dir'], 's3://cp/default/orders', `${v} key`);
    }
  });

  it('sets state.checkpoints.dir for Flink before 1.20, which reads only that key', async () => {
    const d = await ask({ object: fd('last-state', 'v1_18'), config: TEMPLATES });
    const after = conf(applyPatch(fd('last-state', 'v1_18'), d));
    assert.equal(after['state.checkpoints.dir'], 's3://cp/default/orders', 'old key');
    assert.equal(after['execution.checkpointing.dir'], undefined, 'not the new key');
  });

  it('savepoint mode gets the savepoint dir too; denied without its template', async () => {
    const d = await ask({ object: fd('savepoint'), config: TEMPLATES });
    assert.deepEqual(actionsOf(d, 'checkpoint-dir'), ['mutated', 'mutated'], 'both dirs');
    assert.equal(conf(applyPatch(fd('savepoint'), d))['execution.checkpointing.savepoint-dir'], 's3://sp/default/orders', 'savepoint dir');
    const missing = await ask({ object: fd('savepoint'), config: TEMPLATE_CONFIG({ checkpointDirTemplate: 's3://cp/{namespace}/{clusterId}' }) });
    assert.equal(missing.allowed, false, 'no savepoint template: denied');
    assert.match(missing.status!.message, /savepointDirTemplate/, 'names the missing template');
  });

  it('is idempotent: mutating the mutated object yields no patch of its own', async () => {
    const first = await ask({ object: fd('savepoint'), config: TEMPLATES });
    const again = await ask({ object: applyPatch(fd('savepoint'), first), config: TEMPLATES });
    assert.deepEqual(actionsOf(again, 'checkpoint-dir'), ['passed', 'passed'], 'passes the second time');
    assert.deepEqual(again.patch, [], 'no patch');
  });

  it('passes a dir the user set, under either key, nested or flat', async () => {
    for (const c of [{ 'state.checkpoints.dir': 's3://mine' }, { execution: { checkpointing: { dir: 's3://mine' } } }]) {
      const d = await ask({ object: fd('last-state', 'v2_2', c) });
      assert.deepEqual(actionsOf(d, 'checkpoint-dir'), ['passed'], JSON.stringify(c));
    }
  });

  it('asks nothing of a stateless job (explicit or by default) or a session cluster', async () => {
    for (const mode of ['stateless', undefined]) assert.deepEqual(actionsOf(await ask({ object: fd(mode) }), 'checkpoint-dir'), [], String(mode));
    const session = fd('last-state');
    delete (session.spec as Record<string, unknown>).job;
    assert.deepEqual(actionsOf(await ask({ object: session }), 'checkpoint-dir'), [], 'session cluster');
  });
});
