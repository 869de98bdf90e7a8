// The install manifests are proven on the same API server the tests use: `kubectl apply -k manifests/` passes a
// server-side dry run, the cert-manager overlay renders with the CA injection annotation, and the webhook
// configurations the harness registers are the ones in manifests/ with only their clientConfig swapped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import yaml from 'js-yaml';
import {
  createFlinkNamespace,
  manifestWebhookConfigurations,
  operatorKubeconfig,
  podBoundKubeconfig,
  webhookCallCounts,
  registerWebhooks,
  REPO_ROOT,
  startControlPlane,
  startWebhook,
  type ControlPlane,
  type Webhook,
} from './harness/index.ts';

type Doc = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> } } & Record<
  string,
  unknown
>;

// Rendered manifests are walked field by field below; a schema type for each kind would add nothing.
type Any = any;

/** Does `actual` hold every field of `expected` (the API server adds defaults, never removes what was sent)? */
function assertContains(actual: unknown, expected: unknown, path: string): void {
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object or array`);
    if (Array.isArray(expected)) {
      assert.ok(Array.isArray(actual), `${path}: expected an array`);
      assert.equal(actual.length, expected.length, `${path}: length`);
    }
    for (const [key, value] of Object.entries(expected)) {
      assertContains((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
    return;
  }
  assert.deepEqual(actual, expected, path);
}

describe('install manifests on the real API server', () => {
  // The dry-run install comes first, on a control plane with no webhook registered: like a real first install
  // (the harness's registered copies would otherwise be merged with the manifests' service clientConfig).
  let plane: ControlPlane;
  let webhook: Webhook | undefined;
  before(async () => {
    plane = await startControlPlane();
  });
  after(async () => {
    await webhook?.stop();
    await plane?.stop();
  });

  it('kubectl apply -k manifests/ --dry-run=server passes', async () => {
    // A server-side dry run of namespaced objects needs their namespace to exist (NamespaceLifecycle); a real
    // `apply -k` creates it first in the same command.
    await plane.kubectlOk(['apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flink-ha-webhook' } }) });
    const out = await plane.kubectlOk(['apply', '-k', join(REPO_ROOT, 'manifests'), '--dry-run=server']);
    for (const object of [
      'namespace/flink-ha-webhook',
      'serviceaccount/flink-ha-webhook',
      'clusterrole.rbac.authorization.k8s.io/flink-ha-webhook',
      'clusterrolebinding.rbac.authorization.k8s.io/flink-ha-webhook',
      'service/flink-ha-webhook',
      'deployment.apps/flink-ha-webhook',
      'poddisruptionbudget.policy/flink-ha-webhook',
      'mutatingwebhookconfiguration.admissionregistration.k8s.io/flink-ha-webhook',
      'validatingwebhookconfiguration.admissionregistration.k8s.io/flink-ha-webhook',
    ]) {
      assert.match(out, new RegExp(`^${object.replaceAll('.', '\\.')} .*\\(server dry run\\)$`, 'm'), object);
    }
    // Nothing was stored: the Deployment does not exist.
    const get = await plane.kubectl(['get', 'deployment/flink-ha-webhook', '-n', 'flink-ha-webhook']);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /not found/);
  });

  it('the Deployment runs hardened: 2 replicas, non-root, read-only root, no privilege escalation, probes', async () => {
    const rendered = yaml.loadAll(await plane.kubectlOk(['kustomize', join(REPO_ROOT, 'manifests')])) as Doc[];
    const deployment = rendered.find((d) => d.kind === 'Deployment') as Any;
    assert.ok(deployment.spec.replicas >= 2, `at least 2 replicas, got ${deployment.spec.replicas}`);
    const pod = deployment.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.ok(pod.affinity.podAntiAffinity, 'the Pod spreads its replicas (podAntiAffinity)');
    const container = pod.containers[0];
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory, `cpu and memory requests set: ${JSON.stringify(container.resources)}`);
    assert.ok(container.resources.limits.memory, `a memory limit set: ${JSON.stringify(container.resources)}`);
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.readinessProbe.httpGet.scheme, 'HTTPS');
    const pdb = rendered.find((d) => d.kind === 'PodDisruptionBudget') as Any;
    assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
  });

  it('the cert-manager overlay adds the CA, its Issuers, the serving Certificate and inject-ca-from on both configurations', async () => {
    const rendered = yaml.loadAll(
      await plane.kubectlOk(['kustomize', join(REPO_ROOT, 'manifests', 'cert-manager')]),
    ) as Doc[];
    const certificate = rendered.find((d) => d.kind === 'Certificate' && (d as Any).spec.secretName === 'flink-ha-webhook-tls') as Any;
    assert.ok(certificate, 'a Certificate writes the Secret flink-ha-webhook-tls');
    // Signed by a CA issuer, not self-signed: a renewal must not change the injected caBundle.
    const issuer = rendered.find((d) => d.kind === 'Issuer' && d.metadata.name === certificate.spec.issuerRef.name) as Any;
    assert.ok(issuer?.spec.ca, `the serving Certificate's issuer ${certificate.spec.issuerRef.name} is a CA issuer`);
    const ca = rendered.find((d) => d.kind === 'Certificate' && (d as Any).spec.secretName === issuer.spec.ca.secretName) as Any;
    assert.equal(ca?.spec.isCA, true);
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const config = rendered.find((d) => d.kind === kind);
      assert.equal(
        config?.metadata.annotations?.['cert-manager.io/inject-ca-from'],
        `flink-ha-webhook/${certificate.metadata.name}`,
        kind,
      );
    }
  });

  it('registers the webhook configurations of manifests/ with only clientConfig swapped', async () => {
    webhook = await startWebhook(plane);
    await registerWebhooks(plane, webhook);
    const expected = await manifestWebhookConfigurations(plane);
    assert.equal(expected.length, 2, 'manifests/ has one mutating and one validating configuration');
    const ca = Buffer.from(webhook.caPem()).toString('base64');
    for (const config of expected) {
      const resource = `${config.kind.toLowerCase()}/${config.metadata.name}`;
      const stored = JSON.parse(await plane.kubectlOk(['get', resource, '-o', 'json'])) as {
        webhooks: Array<{ name: string; clientConfig: Record<string, unknown> }>;
      };
      assert.deepEqual(
        stored.webhooks.map((w) => w.name),
        config.webhooks.map((w) => w.name),
        `${resource}: the same webhooks, in order`,
      );
      config.webhooks.forEach((hook, i) => {
        const { clientConfig, ...rest } = hook;
        const live = stored.webhooks[i]!;
        assertContains(live, rest, `${resource} ${hook.name}`);
        assert.deepEqual(live.clientConfig, {
          url: `${webhook!.url}${clientConfig.service!.path!}`,
          caBundle: ca,
        });
      });
    }
  });
  it("matchConditions keep non-Flink objects and Flink's own HA writes away from the webhook", async () => {
    assert.ok(webhook, 'registered by the test above');
    await createFlinkNamespace(plane, 'quiet');
    // Flink and the operator as their pods are: with pod-bound tokens of their ServiceAccounts.
    const flink = await podBoundKubeconfig(plane, 'quiet', 'flink');
    const operator = await operatorKubeconfig(plane);
    const haCm = (data: Record<string, string>) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'quiet-cluster-config-map',
          namespace: 'quiet',
          labels: { app: 'quiet', type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' },
        },
        data,
      });
    const before = await webhookCallCounts(plane, 'any');
    const run = async (what: string, args: string[], opts: { kubeconfig?: string; input?: string } = {}) => {
      const r = await plane.kubectl(args, opts);
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    };
    await run('a plain ConfigMap', ['create', 'configmap', 'plain', '-n', 'quiet', '--from-literal=a=b']);
    // Typical labels (app, component, type) no longer send a Pod: only a container the policy would take for Flink's.
    await run('a plain Pod', ['run', 'plain', '-n', 'quiet', '--image=nginx', '--restart=Never', '--labels=app=web,component=frontend,type=service']);
    await run('a plain Deployment', ['create', 'deployment', 'web', '-n', 'quiet', '--image=nginx']);
    await run('Flink creating its HA ConfigMap', ['create', '-f', '-'], { kubeconfig: flink, input: haCm({ counter: '1' }) });
    await run('Flink renewing it', ['replace', '-f', '-'], { kubeconfig: flink, input: haCm({ counter: '2' }) });
    await run('the operator writing it', ['replace', '-f', '-'], { kubeconfig: operator, input: haCm({ counter: '3' }) });
    assert.deepEqual(await webhookCallCounts(plane, 'any'), before, 'no call reached the webhook');

    // The same kinds, Flink-shaped or written by someone else, do reach it.
    await run('a Flink Pod', ['run', 'tm', '-n', 'quiet', '--image=flink:1.20', '--restart=Never']);
    // A person adding a key to the HA ConfigMap reaches the webhook, which refuses it (only owners write HA data).
    const foreign = await plane.kubectl(['replace', '-f', '-'], { input: haCm({ counter: '3', extra: 'x' }) });
    assert.notEqual(foreign.code, 0);
    assert.match(foreign.stderr, /\[no-ha-data-strip\]/);
    const after = await webhookCallCounts(plane, 'any');
    for (const name of ['workloads.flink-ha.io', 'ha-configmaps.flink-ha.io']) {
      assert.ok((after.get(name) ?? 0) > (before.get(name) ?? 0), `${name} was called`);
    }
  });
});
