// The watched cluster view never lets a destructive write through on a stale "none": through the real API server,
// the webhook (serve --kubeconfig, its informers synced) sees HA state written a moment before a namespace deletion
// or a FlinkDeployment deletion, and refuses both; the stored objects are unchanged, byte for byte and by
// resourceVersion. The moment between the write and the delete is shorter than any watch could be trusted with:
// these answers are asked of the API server (docs/latency.md).
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { createFlinkNamespace, podBoundKubeconfig, startE2E, type E2E } from './harness/index.ts';

const NS = 'watched-doors';
const haConfigMap = (cluster: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name: `${cluster}-cluster-config-map`, namespace: NS, labels: { app: cluster, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } },
  data: { address: 'pekko.tcp://flink@x:6123/user/rpc/dispatcher_1', 'checkpointID-0000000000000000007': 's3://ha/completedCheckpoint7' },
});

describe('the watched view at the doors: no stale "none" lets a destructive delete through', { timeout: 300_000 }, () => {
  let e2e: E2E;
  let flink: string;
  const metrics = () => new Promise<string>((resolve, reject) => {
    https.get(`${e2e.webhook.url}/metrics`, { ca: e2e.webhook.caPem() }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  const stored = async (args: string[]) => (await e2e.plane.kubectlOk(['get', ...args, '-o', 'json'])).trim();

  before(async () => {
    e2e = await startE2E();
    await createFlinkNamespace(e2e.plane, NS);
    flink = await podBoundKubeconfig(e2e.plane, NS, 'flink', 'orders-jobmanager-0');
    // The webhook's informers: every one synced before the attempts (else they would be asked anyway).
    for (const deadline = Date.now() + 60_000; ;) {
      const synced = (await metrics()).split('\n').filter((l) => l.startsWith('flink_ha_webhook_informer_synced{'));
      if (synced.length > 0 && synced.every((l) => l.endsWith(' 1'))) break;
      if (Date.now() > deadline) throw new Error(`the webhook's informers did not sync: ${synced.join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    await e2e?.stop();
  });

  it('a namespace whose first HA ConfigMap was written a moment ago is not deleted', async () => {
    const dry = await e2e.plane.kubectl(['delete', 'namespace', NS, '--dry-run=server']);
    assert.equal(dry.code, 0, `no HA state yet: the dry-run delete is allowed (it primes nothing): ${dry.stderr}`);
    await e2e.plane.kubectlOk(['create', '-f', '-'], { input: haConfigMap('orders'), kubeconfig: flink });
    const before = await stored(['namespace', NS]);
    const attempt = await e2e.plane.kubectl(['delete', 'namespace', NS, '--wait=false']);
    assert.notEqual(attempt.code, 0, 'the deletion right after Flink wrote its HA state is refused');
    assert.match(attempt.stderr, /protect-namespace/, attempt.stderr);
    // The webhook's namespace labeler marks a namespace holding HA state (flink-ha.io/ha-state, a write of its own
    // that moves the resourceVersion); apart from that mark the namespace is stored as before, and not terminating.
    const after = JSON.parse(await stored(['namespace', NS])) as { metadata: { labels?: Record<string, string>; resourceVersion?: string; deletionTimestamp?: string } };
    const was = JSON.parse(before) as typeof after;
    assert.equal(after.metadata.deletionTimestamp, undefined, 'the namespace is not being deleted');
    if (after.metadata.labels?.['flink-ha.io/ha-state'] !== undefined && was.metadata.labels?.['flink-ha.io/ha-state'] === undefined) {
      delete after.metadata.labels['flink-ha.io/ha-state'];
      delete after.metadata.resourceVersion;
      delete was.metadata.resourceVersion;
    }
    assert.deepEqual(after, was, 'the namespace is stored unchanged but for the labeler\'s mark (resourceVersion too when there is none)');
  });

  it('a FlinkDeployment whose HA ConfigMap was written a moment ago is not deleted', async () => {
    await e2e.plane.kubectlOk(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name: 'payments', namespace: NS },
        spec: { image: 'flink:1.20', flinkVersion: 'v1_20', serviceAccount: 'flink', flinkConfiguration: { 'high-availability.storageDir': 's3://ha/payments' },
          jobManager: { resource: { memory: '2048m', cpu: 1 } }, taskManager: { resource: { memory: '2048m', cpu: 1 } } },
      }),
    });
    await e2e.plane.kubectlOk(['create', '-f', '-'], { input: haConfigMap('payments'), kubeconfig: flink });
    const before = await stored(['flinkdeployment', 'payments', '-n', NS]);
    const haBefore = await stored(['configmap', 'payments-cluster-config-map', '-n', NS]);
    const attempt = await e2e.plane.kubectl(['delete', 'flinkdeployment', 'payments', '-n', NS, '--wait=false']);
    assert.notEqual(attempt.code, 0, 'the deletion right after Flink wrote its HA state is refused');
    assert.match(attempt.stderr, /protect-flink-deployment/, attempt.stderr);
    assert.equal(await stored(['flinkdeployment', 'payments', '-n', NS]), before, 'the FlinkDeployment is stored unchanged');
    assert.equal(await stored(['configmap', 'payments-cluster-config-map', '-n', NS]), haBefore, 'its HA ConfigMap is stored unchanged');
  });

  it('those answers were asked of the API server; the others came from the watch', async () => {
    const text = await metrics();
    const count = (re: RegExp) => text.split('\n').filter((l) => re.test(l)).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
    assert.ok(count(/^flink_ha_webhook_cluster_api_calls_total\{question="ha-configmaps"\}/) >= 1, `the FlinkDeployment's HA ConfigMaps were listed afresh:\n${text.split('\n').filter((l) => l.includes('cluster_')).join('\n')}`);
    assert.ok(count(/^flink_ha_webhook_cluster_answers_total\{question="[^"]*",source="watch"\}/) >= 1, 'other questions were answered from the watch');
  });
});
