// The watched cluster view (informers, src/kube/watched-cluster.ts) against a real kube-apiserver: once synced it
// answers what exists with no API call; what was created a moment ago is never answered "missing" or "none" (those
// are asked of the API server); a guard's HA ConfigMaps are always listed afresh; a stopped watch means the API.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { defaultConfig } from '../../src/config/load.ts';
import { apiClusterView, type ApiClusterView } from '../../src/kube/api-cluster-view.ts';
import { watchCluster, type WatchedCluster } from '../../src/kube/watched-cluster.ts';
import { REPO_ROOT, createFlinkNamespace, mintedKubeconfig, startControlPlane, type ControlPlane } from './harness/index.ts';

const NS = 'watched';
const calls = (view: ApiClusterView) => [...view.stats.calls.values()].reduce((a, b) => a + b, 0);
const haConfigMap = (name: string, app: string) => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name, namespace: NS, labels: { app, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } },
  data: { address: 'pekko.tcp://flink@x:6123/user/rpc/dispatcher_1' },
});
const flinkDeployment = (name: string) => ({
  apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name, namespace: NS },
  spec: { image: 'flink:1.20', flinkVersion: 'v1_20', serviceAccount: 'flink', jobManager: { resource: { cpu: 1, memory: '1g' } }, taskManager: { resource: { cpu: 1, memory: '1g' } } },
});

describe('the watched cluster view against a real API server', { timeout: 300_000 }, () => {
  let plane: ControlPlane;
  let watched: WatchedCluster;
  let view: ApiClusterView;

  before(async () => {
    plane = await startControlPlane();
    await createFlinkNamespace(plane, NS);
    await plane.kubectlOk(['label', 'namespace', NS, 'flink-ha.io/mode=warn']);
    watched = watchCluster(plane.kubeConfig, { imagePatterns: defaultConfig().imagePatterns });
    view = apiClusterView(plane.kubeConfig, { imagePatterns: defaultConfig().imagePatterns, watched });
    await Promise.race([
      Promise.all(watched.all.map((i) => i.whenSynced())),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`not synced within 60 s: ${watched.all.filter((i) => !i.synced()).map((i) => i.name).join(', ')}`)), 60_000)),
    ]);
  });
  after(async () => {
    await watched?.stop();
    await plane?.stop();
  });

  it('answers what exists from the watch, with no API call', async () => {
    const before = calls(view);
    assert.deepEqual((await view.namespaceMeta(NS))?.labels['flink-ha.io/mode'], 'warn', 'the namespace label, watched');
    assert.equal(await view.serviceAccountExists(NS, 'flink'), true, 'the flink ServiceAccount exists');
    assert.equal(await view.serviceAccountCanManageConfigMaps(NS, 'flink'), true, 'its Role grants every HA verb (RBAC, watched)');
    assert.deepEqual(await view.flinkClusterIds(NS), [], 'no Flink cluster yet');
    assert.equal(calls(view), before, `no API call for answers the watch holds: ${JSON.stringify([...view.stats.calls])}`);
  });

  it('never answers "missing" or "none" from the watch: a ServiceAccount or HA state created a moment ago is seen', async () => {
    await plane.kubectlOk(['create', 'serviceaccount', '-n', NS, 'just-made']);
    assert.equal(await view.serviceAccountExists(NS, 'just-made'), true, 'asked at once after the create: exists (watch or API)');
    const before = calls(view);
    assert.equal(await view.serviceAccountExists(NS, 'never-made'), false, 'a missing ServiceAccount');
    assert.equal(calls(view), before + 1, 'a "missing" answer comes from the API server');
    await plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify(haConfigMap('orders-cluster-config-map', 'orders')) });
    assert.equal(await view.namespaceHoldsHaState(NS), true, 'HA state written a moment ago is seen at once');
  });

  it("lists a guard's HA ConfigMaps afresh every time; a warning's question is answered from the watch", async () => {
    let before = calls(view);
    assert.deepEqual((await view.haConfigMapsOf!(NS, 'orders'))?.map((cm) => cm.metadata?.name), ['orders-cluster-config-map']);
    await view.haConfigMapsOf!(NS, 'orders', 'guard');
    assert.equal(calls(view), before + 2, 'two guard questions, two LISTs');
    await waitFor(() => watched.haConfigMaps.get(NS, 'orders-cluster-config-map') !== undefined, 'the watch delivers the HA ConfigMap');
    before = calls(view);
    assert.deepEqual((await view.haConfigMapsOf!(NS, 'orders', 'warning'))?.map((cm) => cm.metadata?.name), ['orders-cluster-config-map']);
    assert.equal(await view.namespaceHoldsHaState(NS), true);
    assert.equal(calls(view), before, 'the warning and the positive "holds" from the watch');
  });

  it('sees a new Flink cluster in the cluster-ids once the watch delivers it, with no API call', async () => {
    await plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify(flinkDeployment('orders')) });
    await waitFor(() => watched.flinkDeployments.get(NS, 'orders') !== undefined, 'the watch delivers the FlinkDeployment');
    const before = calls(view);
    assert.deepEqual(await view.flinkClusterIds(NS), [{ clusterId: 'orders', owner: 'FlinkDeployment/orders' }]);
    assert.equal(calls(view), before, 'cluster-ids from the watch');
  });

  it("the chart's ClusterRole (manifests/base/rbac.yaml) lets every informer sync as the webhook's ServiceAccount", async () => {
    await plane.kubectlOk(['create', 'namespace', 'flink-ha-webhook']);
    await plane.kubectlOk(['create', 'serviceaccount', 'flink-ha-webhook', '-n', 'flink-ha-webhook']);
    await plane.kubectlOk(['apply', '-f', join(REPO_ROOT, 'manifests', 'base', 'rbac.yaml')]);
    const kc = new KubeConfig();
    kc.loadFromFile(await mintedKubeconfig(plane, 'flink-ha-webhook', 'flink-ha-webhook'));
    const errors: string[] = [];
    const asWebhook = watchCluster(kc, { imagePatterns: defaultConfig().imagePatterns, onError: (name, err) => errors.push(`${name}: ${String((err as Error)?.message ?? err)}`) });
    try {
      await waitFor(() => asWebhook.all.every((i) => i.synced()), 'every informer synced as the webhook', 60_000).catch((err: Error) => {
        throw new Error(`${err.message}; not synced: ${asWebhook.all.filter((i) => !i.synced()).map((i) => i.name).join(', ')}; errors: ${errors.join(' | ')}`);
      });
    } finally {
      await asWebhook.stop();
    }
  });

  it('asks the API server once a watch is stopped (not synced)', async () => {
    await watched.serviceAccounts.stop();
    assert.equal(watched.serviceAccounts.synced(), false, 'a stopped informer is not synced');
    const before = calls(view);
    assert.equal(await view.serviceAccountExists(NS, 'flink'), true);
    assert.equal(calls(view), before + 1, 'asked of the API server');
  });
});

async function waitFor(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
