// The chart installed by the real helm into the test API server (no node: the Pods are not run here; what is
// proven is what Helm and the API server do with the objects). tls.mode=helm: the CA generated at install is read
// back on upgrade (lookup), so the caBundle never changes under a running webhook while the conditions follow the
// new values; --create-namespace owns the namespace, not the release; uninstall leaves no webhook configuration;
// secret mode finds the caBundle in the Secret the user brought.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, type ControlPlane } from './harness/index.ts';
import { CHART_DIR as CHART, helmFor, type Helm } from './harness/helm.ts';

const NS = 'flink-ha-webhook';

describe('helm install, upgrade and uninstall on the real API server', () => {
  let plane: ControlPlane;
  let runner: Helm;
  before(async () => {
    plane = await startControlPlane({ crds: false });
    runner = await helmFor(plane);
  });
  after(async () => {
    await plane?.stop();
  });

  const helm = (args: string[]) => runner.ok(args);
  const json = async (args: string[]) => JSON.parse(await plane.kubectlOk([...args, '-o', 'json']));
  const caBundles = async () => {
    const bundles: string[] = [];
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      for (const w of (await json(['get', kind, 'flink-ha-webhook'])).webhooks) bundles.push(w.clientConfig.caBundle);
    }
    return bundles;
  };

  let installedCa: string;
  let installedCert: string;
  it('installs with tls.mode=helm: one generated CA in the Secret and every webhook; the namespace is not the release\'s', async () => {
    await helm(['install', 'flink-ha-webhook', CHART, '-n', NS, '--create-namespace', '--set', 'tls.mode=helm']);
    const secret = await json(['get', 'secret', 'flink-ha-webhook-tls', '-n', NS]);
    installedCa = secret.data['ca.crt'];
    installedCert = secret.data['tls.crt'];
    assert.deepEqual(new Set(await caBundles()), new Set([installedCa]));
    const manifest = await helm(['get', 'manifest', 'flink-ha-webhook', '-n', NS]);
    assert.doesNotMatch(manifest, /^kind: Namespace$/m, '--create-namespace made it: uninstall must not try to delete it');
    assert.match(manifest, /^kind: Deployment$/m);
  });

  it('upgrades with new owners and a new mode: the conditions and config follow, the CA and certificate stay', async () => {
    const before = await json(['get', 'deployment', 'flink-ha-webhook', '-n', NS]);
    await helm(['upgrade', 'flink-ha-webhook', CHART, '-n', NS, '--reuse-values',
      '--set', 'config.operatorServiceAccounts={flink-operator,flink-system:flink-kubernetes-operator}', '--set', 'config.mode=warn']);
    assert.deepEqual(new Set(await caBundles()), new Set([installedCa]), 'the caBundle never changed under the webhook');
    assert.equal((await json(['get', 'secret', 'flink-ha-webhook-tls', '-n', NS])).data['tls.crt'], installedCert);
    const validating = await json(['get', 'validatingwebhookconfiguration', 'flink-ha-webhook']);
    const owners = validating.webhooks[0].matchConditions.find((c: { name: string }) => c.name === 'not-an-owner-write').expression;
    assert.match(owners, /system:serviceaccount:flink-system:flink-kubernetes-operator/);
    const config = (await json(['get', 'configmap', 'flink-ha-webhook-config', '-n', NS])).data['webhook.yaml'];
    assert.match(config, /^mode: warn$/m);
    assert.match(config, /flink-system:flink-kubernetes-operator/);
    const after = await json(['get', 'deployment', 'flink-ha-webhook', '-n', NS]);
    assert.notEqual(after.spec.template.metadata.annotations['checksum/config'], before.spec.template.metadata.annotations['checksum/config'], 'the Pods roll');
    assert.deepEqual(after.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 }, 'a new Pod serves before an old one goes');
    const namespace = await json(['get', 'namespace', NS]);
    assert.equal(namespace.status.phase, 'Active', 'the upgrade left the namespace alone');
  });

  it('uninstall removes both webhook configurations and leaves the namespace, which then deletes', async () => {
    await helm(['uninstall', 'flink-ha-webhook', '-n', NS]);
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const r = await plane.kubectl(['get', kind, 'flink-ha-webhook']);
      assert.match(r.stderr, /not found/, kind);
    }
    // helm.sh/resource-policy: keep: the serving pair outlives the release (a reinstall reuses it).
    assert.ok((await json(['get', 'secret', 'flink-ha-webhook-tls', '-n', NS])).data['ca.crt'], 'the serving Secret (resource-policy: keep) outlives the uninstall, with its ca.crt');
    assert.equal((await json(['get', 'namespace', NS])).status.phase, 'Active', 'the namespace is --create-namespace\'s, not the release\'s');
    // So does the FlinkHAException CRD (keep): uninstalling the webhook must not delete the exceptions with it.
    assert.equal((await json(['get', 'crd', 'flinkhaexceptions.flink-ha.io'])).metadata.name, 'flinkhaexceptions.flink-ha.io', 'the FlinkHAException CRD (resource-policy: keep) outlives the uninstall');
    await plane.kubectlOk(['delete', 'namespace', NS, '--wait=false']);
  });

  it('secret mode (the default) takes the caBundle from the Secret you made before the install', async () => {
    // The pair the helm-mode install made stands in for yours (only its ca.crt matters here: no Pod runs).
    const pair = { 'tls.crt': installedCert, 'tls.key': 'a2V5', 'ca.crt': installedCa };
    await plane.kubectlOk(['create', 'namespace', 'platform']);
    await plane.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'corp-tls', namespace: 'platform' }, data: pair }),
    });
    await helm(['install', 'guard', CHART, '-n', 'platform', '--set', 'tls.secretName=corp-tls']);
    const bundles: string[] = [];
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      for (const w of (await json(['get', kind, 'guard-flink-ha-webhook'])).webhooks) bundles.push(w.clientConfig.caBundle);
    }
    assert.deepEqual(new Set(bundles), new Set([installedCa]));
    // The CRD another release left is not this release's to render (Helm could not adopt it): it is left as it is.
    assert.doesNotMatch(await helm(['get', 'manifest', 'guard', '-n', 'platform']), /^kind: CustomResourceDefinition$/m, 'guard does not claim the CRD');
    await helm(['uninstall', 'guard', '-n', 'platform']);
  });
});
