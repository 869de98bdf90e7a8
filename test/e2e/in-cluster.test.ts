// The webhook where it is meant to run: the image built from the Containerfile, two replicas on a real node
// (kubelet + containerd + runc), installed by `kubectl apply -k` of manifests/ (overlay: image and caBundle only),
// called by the API server through its Service. What only a real installation shows: it comes up, it mutates and
// guards through the Service, it stays available while its Pods are deleted, rolled and re-certified, and with
// all of it down the cluster outside Flink keeps working while HA state stays protected.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  createFlinkNamespace,
  podBoundKubeconfig,
  startControlPlane,
  webhookAttempts,
  type ControlPlane,
} from './harness/index.ts';
import { buildWebhookImage } from './harness/image.ts';
import { startNode, type Node } from './harness/node.ts';
import { guardedProbe, installWebhookInCluster, WEBHOOK_NAMESPACE, type InClusterWebhook } from './harness/in-cluster.ts';
import { startAdmissionLoad, type AdmissionLoad } from './harness/admission-load.ts';

const NS = 'in-cluster';
const LOAD_NS = 'in-cluster-load';
const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

// Objects are read back as JSON and walked by path.
type Json = any;

/**
 * A fixture with a storageDir of its own: the installed webhook runs manifests/' default config, which has no
 * storageDir template (the webhook never invents one), so the manifests carry theirs as a user's would.
 */
function withStorageDir(file: string): string {
  const docs = yaml.loadAll(readFileSync(fixture(file), 'utf8')) as Json[];
  for (const doc of docs) {
    const dir = `s3://flink-ha/${NS}/${doc.metadata.name as string}`;
    if (doc.kind === 'FlinkDeployment') doc.spec.flinkConfiguration['high-availability.storageDir'] = dir;
    if (doc.kind === 'ConfigMap') {
      for (const key of ['flink-conf.yaml', 'config.yaml']) {
        if (typeof doc.data?.[key] === 'string') doc.data[key] = `${doc.data[key]}\nhigh-availability.storageDir: ${dir}\n`;
      }
    }
  }
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs });
}

describe('the webhook installed from manifests/ as Pods on a real node', () => {
  let plane: ControlPlane;
  let node: Node;
  let webhook: InClusterWebhook;
  const get = async (resource: string, ns = NS): Promise<Json> =>
    JSON.parse(await plane.kubectlOk(['get', resource, '-n', ns, '-o', 'json']));
  const load = (): AdmissionLoad => startAdmissionLoad(plane, LOAD_NS, (n) => guardedProbe(LOAD_NS, n));

  before(async () => {
    const t0 = performance.now();
    const at = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    plane = await startControlPlane({ node: true });
    const planeAt = at();
    node = await startNode(plane);
    const nodeAt = at();
    const image = await buildWebhookImage();
    const imageAt = at();
    webhook = await installWebhookInCluster(plane, node, image);
    console.log(`# in-cluster start-up: control plane ${planeAt}, node Ready ${nodeAt}, image ${imageAt}, two replicas serving through the Service ${at()}`);
    await createFlinkNamespace(plane, NS);
    await plane.kubectlOk(['create', 'namespace', LOAD_NS]);
  });
  after(async () => {
    await node?.stop();
    await plane?.stop();
  });

  it('two replicas are Ready behind the Service, called through service: clientConfig with the overlay\'s caBundle', async () => {
    const deployment = await get('deployment/flink-ha-webhook', WEBHOOK_NAMESPACE);
    assert.equal(deployment.status.readyReplicas, 2);
    assert.match(deployment.spec.template.spec.containers[0].image, /^flink-ha-e2e\.local\/flink-ha-webhook:/);
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const config = JSON.parse(await plane.kubectlOk(['get', kind, 'flink-ha-webhook', '-o', 'json']));
      for (const w of config.webhooks as Json[]) {
        assert.equal(w.clientConfig.url, undefined, `${w.name as string}: no url`);
        assert.equal(w.clientConfig.service.name, 'flink-ha-webhook');
        assert.equal(Buffer.from(w.clientConfig.caBundle, 'base64').toString(), webhook.caPem);
      }
    }
  });

  it('a FlinkDeployment, a standalone session cluster and a native JobManager applied by kubectl come back mutated', async () => {
    for (const file of ['flinkdeployment.yaml', 'session-cluster.yaml', 'native-jobmanager.yaml']) {
      await plane.kubectlOk(['apply', '-n', NS, '-f', '-'], { input: withStorageDir(file) });
    }
    const fd = await get('flinkdeployment/basic-ha');
    assert.equal(fd.spec.flinkConfiguration['high-availability.type'], 'kubernetes');
    assert.ok(Number(fd.spec.jobManager.replicas) >= 2, 'standby JobManagers');
    const session = await get('deployment/flink-jobmanager');
    assert.ok(session.spec.replicas >= 2, 'standby JobManagers');
    assert.equal(session.spec.template.spec.serviceAccountName, 'flink');
    const native = await get('deployment/native-app');
    assert.equal(native.spec.template.spec.serviceAccountName, 'flink');
    const warnings = (await plane.kubectl(['apply', '-n', NS, '--dry-run=server', '-f', '-'], { input: withStorageDir('native-jobmanager.yaml') }));
    assert.equal(warnings.code, 0, warnings.stderr);
    // Applying what is stored again changes nothing: the mutation is idempotent through the Service too.
    const again = await get('deployment/native-app');
    assert.equal(again.metadata.resourceVersion, native.metadata.resourceVersion);
  });

  it('an HA ConfigMap delete by a person is denied through the Service, and the ConfigMap stays byte for byte', async () => {
    const flink = await podBoundKubeconfig(plane, NS, 'flink', 'demo-jobmanager-0');
    await plane.kubectlOk(['apply', '-n', NS, '--server-side', '--field-manager=flink', '-f', fixture('ha-configmaps.yaml')], { kubeconfig: flink });
    const before = await get('configmap/demo-cluster-config-map');
    const denied = await plane.kubectl(['delete', 'configmap', 'demo-cluster-config-map', '-n', NS]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /admission webhook "[^"]*flink-ha\.io" denied the request/);
    const afterDelete = await get('configmap/demo-cluster-config-map');
    assert.deepEqual(afterDelete.data, before.data);
    assert.equal(afterDelete.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  it('deleting one webhook Pod while admissions run fails none of them (the second replica and the PDB carry it)', async () => {
    const running = load();
    await running.answered(20);
    const [victim] = await webhook.readyPods();
    assert.ok(victim, 'a ready webhook Pod to delete');
    await plane.kubectlOk(['delete', 'pod', '-n', WEBHOOK_NAMESPACE, victim.name, '--wait=true', '--timeout=120s']);
    await webhook.waitServing(2);
    await running.answered(20);
    const result = await running.stop();
    assert.deepEqual(result.failures, []);
    assert.equal(result.failed, 0);
    assert.ok(result.answered >= 40, `at least 40 admissions answered across the Pod deletion, got ${result.answered}`);
  });

  it('a node drain cannot take both replicas: the PDB evicts one and refuses the second until it is replaced', async () => {
    await waitForValue(async () => (await get('pdb/flink-ha-webhook', WEBHOOK_NAMESPACE)).status?.disruptionsAllowed as number, 1, 60_000);
    const api = plane.kubeConfig.makeApiClient(CoreV1Api);
    const evict = (name: string) =>
      api.createNamespacedPodEviction({ name, namespace: WEBHOOK_NAMESPACE, body: { metadata: { name, namespace: WEBHOOK_NAMESPACE } } });
    const running = load();
    await running.answered(10);
    const [first, second] = await webhook.readyPods();
    assert.ok(first && second, 'two ready webhook Pods to evict');
    await evict(first.name);
    await assert.rejects(evict(second.name), (err: { code?: number }) => err.code === 429);
    await webhook.waitServing(2);
    await running.answered(20);
    const result = await running.stop();
    assert.deepEqual(result.failures, []);
    assert.equal(result.failed, 0);
  });

  it('a rolling restart under load fails no admission', async () => {
    const running = load();
    await running.answered(20);
    const beforePods = (await webhook.readyPods()).map((p) => p.name).sort();
    await plane.kubectlOk(['rollout', 'restart', '-n', WEBHOOK_NAMESPACE, 'deployment/flink-ha-webhook']);
    await plane.kubectlOk(['rollout', 'status', '-n', WEBHOOK_NAMESPACE, 'deployment/flink-ha-webhook', '--timeout=240s']);
    await webhook.waitServing(2);
    await running.answered(20);
    const result = await running.stop();
    const afterPods = (await webhook.readyPods()).map((p) => p.name).sort();
    assert.equal(afterPods.filter((p) => beforePods.includes(p)).length, 0, 'every Pod was replaced');
    assert.deepEqual(result.failures, []);
    assert.equal(result.failed, 0);
  });

  it('the serving certificate Secret updated in place is picked up by every replica with no failed request', async () => {
    const running = load();
    await running.answered(10);
    const serial = await webhook.rotateServingCert();
    const pods = await webhook.readyPods();
    assert.equal(pods.length, 2);
    for (const pod of pods) {
      // The kubelet refreshes the Secret volume at its next sync; serve reloads the files without a restart.
      await waitForValue(() => webhook.servedSerial(pod.ip), serial, 180_000);
    }
    await running.answered(20);
    const result = await running.stop();
    assert.deepEqual(result.failures, []);
    assert.equal(result.failed, 0);
    const names = (await webhook.readyPods()).map((p) => p.name).sort();
    assert.deepEqual(names, pods.map((p) => p.name).sort(), 'no Pod restarted to pick it up');
  });

  describe('with the webhook down (scaled to 0)', () => {
    before(async () => {
      await webhook.scale(0);
    });
    after(async () => {
      await webhook.scale(2);
    });

    it('a namespace that holds no HA state still deletes, through the real namespace controller', async () => {
      await plane.kubectlOk(['create', 'namespace', 'unrelated']);
      await plane.kubectlOk(['create', 'configmap', 'settings', '-n', 'unrelated', '--from-literal=a=b']);
      await plane.kubectlOk(['delete', 'namespace', 'unrelated', '--wait=true', '--timeout=120s']);
      const gone = await plane.kubectl(['get', 'namespace', 'unrelated']);
      assert.notEqual(gone.code, 0);
    });

    it('non-Flink Pods and Deployments are created with no webhook call', async () => {
      const callsBefore = await webhookAttempts(plane);
      await plane.kubectlOk(['create', 'deployment', 'web', '-n', LOAD_NS, '--image=registry.invalid/web:1']);
      await plane.kubectlOk(['run', 'tool', '-n', LOAD_NS, '--image=registry.invalid/tool:1', '--labels=app=tool,component=cli,type=batch']);
      const pod = await get('pod/tool', LOAD_NS);
      assert.equal(pod.metadata.name, 'tool');
      // The ReplicaSet controller's Pod for `web` is an admission of its own: wait until it exists.
      await plane.kubectlOk(['wait', '-n', LOAD_NS, '--for=create', 'pod', '-l', 'app=web', '--timeout=60s']);
      assert.equal(await webhookAttempts(plane), callsBefore, 'the API server tried to call the webhook');
    });

    it('a namespace holding HA state cannot be deleted, nor its HA ConfigMaps, and nothing of them changes', async () => {
      const before = await get('configmap/demo-cluster-config-map');
      const ns = await plane.kubectl(['delete', 'namespace', NS, '--wait=false']);
      assert.notEqual(ns.code, 0);
      assert.match(ns.stderr, /failed calling webhook|denied/);
      const cm = await plane.kubectl(['delete', 'configmap', 'demo-cluster-config-map', '-n', NS]);
      assert.notEqual(cm.code, 0);
      assert.match(cm.stderr, /failed calling webhook|denied/);
      const namespace = JSON.parse(await plane.kubectlOk(['get', 'namespace', NS, '-o', 'json']));
      assert.equal(namespace.metadata.deletionTimestamp, undefined);
      const afterAttempts = await get('configmap/demo-cluster-config-map');
      assert.equal(afterAttempts.metadata.resourceVersion, before.metadata.resourceVersion);
    });
  });

  it('uninstalling with kubectl delete -k leaves no webhook configuration behind', async () => {
    await webhook.uninstall();
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const out = await plane.kubectlOk(['get', kind, '-o', 'name']);
      assert.equal(out.trim(), '', `${kind} left behind`);
    }
  });
});

async function waitForValue<T>(read: () => Promise<T>, want: T, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T | string = 'nothing read';
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (last === want) return;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.fail(`waited ${timeoutMs} ms for ${String(want)}, last read ${String(last)}`);
}
