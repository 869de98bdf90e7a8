// The chart installed the way a platform team installs it: `helm install` of charts/flink-ha-webhook into a real
// cluster (control plane, controllers, one real node), the image built from the Containerfile, the serving
// certificate made by the chart (tls.mode=helm). What only a real install shows: the Pods come up and serve through
// the Service, the config values reach the policy, `helm upgrade` with new values under a stream of admissions fails
// none, `helm test` passes, and `helm uninstall` leaves no webhook configuration and every namespace deletable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { createFlinkNamespace, podBoundKubeconfig, startControlPlane, type ControlPlane } from './harness/index.ts';
import { buildWebhookImage } from './harness/image.ts';
import { startNode, type Node } from './harness/node.ts';
import { guardedProbe, servedSerial, webhookServing } from './harness/in-cluster.ts';
import { startCertManager, type CertManager } from './harness/cert-manager.ts';
import { waitFor } from './harness/processes.ts';
import { X509Certificate } from 'node:crypto';
import { startAdmissionLoad } from './harness/admission-load.ts';
import { CHART_DIR, helmFor, type Helm } from './harness/helm.ts';

const RELEASE = 'flink-ha-webhook';
const RELEASE_NS = 'flink-ha-webhook';
const NS = 'helm-flink';
const LOAD_NS = 'helm-load';
const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

// Objects are read back as JSON and walked by path.
type Json = any;

describe('the Helm chart installed into a real cluster', () => {
  let plane: ControlPlane;
  let node: Node;
  let helm: Helm;
  let serving: ReturnType<typeof webhookServing>;
  const valuesFile = (name: string, values: object): string => {
    const file = join(plane.dir, name);
    writeFileSync(file, yaml.dump(values));
    return file;
  };
  let imageValues: { repository: string; tag: string; pullPolicy: string };
  const get = async (resource: string, ns = NS): Promise<Json> =>
    JSON.parse(await plane.kubectlOk(['get', resource, '-n', ns, '-o', 'json']));

  before(async () => {
    plane = await startControlPlane({ node: true });
    node = await startNode(plane);
    const image = await buildWebhookImage();
    await node.importImage(image.archive);
    const at = image.ref.lastIndexOf(':');
    imageValues = { repository: image.ref.slice(0, at), tag: image.ref.slice(at + 1), pullPolicy: 'Never' };
    helm = await helmFor(plane);
    serving = webhookServing(plane, RELEASE_NS, RELEASE);
    await createFlinkNamespace(plane, NS);
    await plane.kubectlOk(['create', 'namespace', LOAD_NS]);
  });
  after(async () => {
    await node?.stop();
    await plane?.stop();
  });

  it('helm install: two replicas Ready and serving through the Service, with the certificate the chart made', async () => {
    const values = valuesFile('install.yaml', {
      image: imageValues,
      tls: { mode: 'helm' },
      // The rollout's last step (README "Roll out"): the chart installs in warn mode until a template and enforce are set.
      config: { storageDirTemplate: 's3://flink-ha/{namespace}/{clusterId}', mode: 'enforce' },
    });
    await helm.ok(['install', RELEASE, CHART_DIR, '-n', RELEASE_NS, '--create-namespace', '-f', values, '--wait', '--timeout', '180s']);
    await serving.waitServing(2);
    const secret = await get('secret/flink-ha-webhook-tls', RELEASE_NS);
    const ca = Buffer.from(secret.data['ca.crt'], 'base64').toString();
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const config = JSON.parse(await plane.kubectlOk(['get', kind, RELEASE, '-o', 'json']));
      for (const w of config.webhooks as Json[]) {
        assert.equal(w.clientConfig.service.name, RELEASE, `${w.name as string}: through the Service`);
        assert.equal(Buffer.from(w.clientConfig.caBundle, 'base64').toString(), ca, `${w.name as string}: the chart's CA`);
      }
    }
  });

  it('a FlinkDeployment comes back mutated with the storageDir of the values, and an HA ConfigMap delete is denied', async () => {
    await plane.kubectlOk(['apply', '-n', NS, '-f', fixture('flinkdeployment.yaml')]);
    const fd = await get('flinkdeployment/basic-ha');
    assert.equal(fd.spec.flinkConfiguration['high-availability.type'], 'kubernetes');
    assert.equal(fd.spec.flinkConfiguration['high-availability.storageDir'], `s3://flink-ha/${NS}/basic-ha`);

    const flink = await podBoundKubeconfig(plane, NS, 'flink', 'demo-jobmanager-0');
    await plane.kubectlOk(['apply', '-n', NS, '--server-side', '--field-manager=flink', '-f', fixture('ha-configmaps.yaml')], { kubeconfig: flink });
    const before = await get('configmap/demo-cluster-config-map');
    const denied = await plane.kubectl(['delete', 'configmap', 'demo-cluster-config-map', '-n', NS]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /\[protect-ha-configmap\]/);
    assert.equal((await get('configmap/demo-cluster-config-map')).metadata.resourceVersion, before.metadata.resourceVersion);
  });

  it('helm upgrade with new values (another operator ServiceAccount, warn mode) under admissions fails none', async () => {
    const values = valuesFile('upgrade.yaml', {
      image: imageValues,
      tls: { mode: 'helm' },
      config: {
        storageDirTemplate: 's3://flink-ha/{namespace}/{clusterId}',
        operatorServiceAccounts: ['flink-operator', 'platform-flink:flink-operator-v2'],
        mode: 'warn',
      },
    });
    const caBefore = (await get('secret/flink-ha-webhook-tls', RELEASE_NS)).data['ca.crt'] as string;
    const load = startAdmissionLoad(plane, LOAD_NS, (n) => guardedProbe(LOAD_NS, n));
    await load.answered(10);
    await helm.ok(['upgrade', RELEASE, CHART_DIR, '-n', RELEASE_NS, '-f', values, '--wait', '--timeout', '180s']);
    await serving.waitServing(2);
    await load.answered(20);
    const result = await load.stop();
    assert.deepEqual(result.failures, []);
    assert.equal(result.failed, 0);
    assert.ok(result.answered >= 30, `at least 30 admissions answered during the rollout, got ${result.answered}`);

    assert.equal((await get('secret/flink-ha-webhook-tls', RELEASE_NS)).data['ca.crt'], caBefore, 'the upgrade kept the CA');
    const validating = JSON.parse(await plane.kubectlOk(['get', 'validatingwebhookconfiguration', RELEASE, '-o', 'json']));
    const conditions = JSON.stringify(validating.webhooks.map((w: Json) => w.matchConditions ?? []));
    assert.match(conditions, /flink-operator-v2/, 'the new operator ServiceAccount reaches the matchConditions');
    // warn mode: a FlinkDeployment without HA is stored as written, with the webhook's "would" warnings.
    const applied = await plane.kubectl(['apply', '-n', NS, '-f', '-'], {
      input: readFileSync(fixture('flinkdeployment.yaml'), 'utf8').replace(/name: basic-ha/, 'name: warned'),
    });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stderr, /Warning: \[[a-z-]+\] would /);
    const warned = await get('flinkdeployment/warned');
    assert.equal(warned.spec.flinkConfiguration?.['high-availability.type'], undefined, 'warn mode does not mutate');
  });

  it('helm test passes: the probe Pod sends a dry-run review and the HA ConfigMap guard judges it over verified TLS', async () => {
    // The harness's cluster has no DNS and no Service proxy (no connection may go to a ClusterIP), so the probe is
    // pointed at a webhook Pod's IP on the node's bridge and checks the certificate for the Service's name.
    const [pod] = await serving.readyPods();
    assert.ok(pod, 'a ready webhook Pod to point the probe at');
    await helm.ok(['upgrade', RELEASE, CHART_DIR, '-n', RELEASE_NS, '--reuse-values', '--set', `test.url=https://${pod.ip}:8443`,
      '--set', `test.serverName=${RELEASE}.${RELEASE_NS}.svc`, '--wait', '--timeout', '180s']);
    const tested = await helm.run(['test', RELEASE, '-n', RELEASE_NS, '--timeout', '120s', '--logs']);
    const logs = await plane.kubectl(['logs', '-n', RELEASE_NS, `${RELEASE}-probe`]);
    assert.equal(tested.code, 0, `${tested.stderr}\nprobe Pod log: ${logs.stdout}${logs.stderr}`);
    assert.match(tested.stdout + logs.stdout, /TLS verified: denied: .*\[protect-ha-configmap\]/);
    assert.match(tested.stdout, /Phase:\s+Succeeded/);
  });

  it('helm uninstall leaves no webhook configuration, and every namespace deletable', async () => {
    await helm.ok(['uninstall', RELEASE, '-n', RELEASE_NS, '--wait', '--timeout', '120s']);
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const out = await plane.kubectlOk(['get', kind, '-o', 'name']);
      assert.equal(out.trim(), '', `${kind} left behind`);
    }
    await plane.kubectlOk(['delete', 'namespace', NS, LOAD_NS, '--wait=true', '--timeout=120s']);
    for (const ns of [NS, LOAD_NS]) assert.notEqual((await plane.kubectl(['get', 'namespace', ns])).code, 0, `${ns} still exists`);
  });

  describe('tls.mode=cert-manager, with a real cert-manager (controller and cainjector)', () => {
    const CM_LOAD_NS = 'helm-cm-load';
    const leafSerial = (secret: Json) =>
      new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64')).serialNumber.replace(/^0+/, '').toUpperCase();
    let caPem = '';
    let certManager: CertManager | undefined;

    before(async () => {
      certManager = await startCertManager(plane);
      await plane.kubectlOk(['create', 'namespace', CM_LOAD_NS]);
      // The helm-mode Secret outlives its release (helm.sh/resource-policy: keep): a fresh start for cert-manager.
      await plane.kubectlOk(['delete', 'secret', 'flink-ha-webhook-tls', '-n', RELEASE_NS, '--ignore-not-found']);
      const values = valuesFile('cert-manager.yaml', { image: imageValues, tls: { mode: 'cert-manager' } });
      await helm.ok(['install', RELEASE, CHART_DIR, '-n', RELEASE_NS, '--create-namespace', '-f', values, '--wait', '--timeout', '180s']);
      await serving.waitServing(2);
    });
    // Its own processes: the plane's stop() ends only the plane's (a running controller would keep this file alive).
    after(async () => {
      await certManager?.stop();
    });

    it('the certificate is issued by cert-manager, its CA injected into every webhook, and served by both replicas', async () => {
      const secret = await get('secret/flink-ha-webhook-tls', RELEASE_NS);
      caPem = Buffer.from(secret.data['ca.crt'], 'base64').toString();
      for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
        const config = JSON.parse(await plane.kubectlOk(['get', kind, RELEASE, '-o', 'json']));
        for (const w of config.webhooks as Json[]) {
          assert.equal(Buffer.from(w.clientConfig.caBundle, 'base64').toString(), caPem, `${w.name as string}: the injected CA`);
        }
      }
      const serial = leafSerial(secret);
      const pods = await serving.readyPods();
      await waitFor('both replicas to serve the issued certificate', async () => {
        const served = await Promise.all(pods.map((p) => servedSerial(p.ip, caPem).catch(() => '')));
        return served.every((s) => s === serial) ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 1000 });
    });

    it('a renewal reaches both replicas through the kubelet\'s Secret volume, with no failed admission', async () => {
      const load = startAdmissionLoad(plane, CM_LOAD_NS, (n) => guardedProbe(CM_LOAD_NS, n));
      await load.answered(10);
      const before = leafSerial(await get('secret/flink-ha-webhook-tls', RELEASE_NS));
      const certificate = await get('certificate/flink-ha-webhook-serving', RELEASE_NS);
      // What `cmctl renew` does: the Issuing condition makes cert-manager's trigger controller re-issue.
      await plane.kubectlOk(['-n', RELEASE_NS, 'patch', 'certificate/flink-ha-webhook-serving', '--subresource=status', '--type=json', '-p',
        JSON.stringify([{ op: 'add', path: '/status/conditions/-', value: {
          type: 'Issuing', status: 'True', reason: 'ManuallyTriggered', message: 'renewal forced by the e2e test',
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), observedGeneration: certificate.metadata.generation,
        } }])]);
      const renewed = await waitFor('cert-manager to renew the serving certificate', async () => {
        const serial = leafSerial(await get('secret/flink-ha-webhook-tls', RELEASE_NS));
        return serial !== before ? serial : undefined;
      }, { timeoutMs: 60_000, intervalMs: 300 });
      const pods = await serving.readyPods();
      await waitFor('both replicas to serve the renewed certificate', async () => {
        const served = await Promise.all(pods.map((p) => servedSerial(p.ip, caPem).catch(() => '')));
        // cert-manager may issue twice for one trigger: any serial newer than `before` from the Secret counts.
        const now = leafSerial(await get('secret/flink-ha-webhook-tls', RELEASE_NS));
        return served.every((s) => s === now) && now !== before ? true : undefined;
      }, { timeoutMs: 120_000, intervalMs: 1000 });
      await load.answered(10);
      const result = await load.stop();
      assert.deepEqual(result.failures, []);
      assert.equal(result.failed, 0);
      assert.notEqual(renewed, before);
      assert.deepEqual((await serving.readyPods()).map((p) => p.name).sort(), pods.map((p) => p.name).sort(), 'no Pod restarted for it');
    });

    it('helm uninstall leaves no webhook configuration', async () => {
      await helm.ok(['uninstall', RELEASE, '-n', RELEASE_NS, '--wait', '--timeout', '120s']);
      for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
        assert.equal((await plane.kubectlOk(['get', kind, '-o', 'name'])).trim(), '', `${kind} left behind`);
      }
    });
  });
});
