// The chart's templates with values a platform team sets: helm lint, each TLS mode, the helm test hook, the
// optional objects, and the values that reach each object. (Defaults: parity.test.ts; matchConditions:
// match-conditions.test.ts; bad values: values-schema.test.ts.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { CHART_DIR, find, helm, render, type Doc } from './helm.ts';

const WEBHOOK_KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
const webhooksOf = (docs: Doc[]) => docs.filter((d) => WEBHOOK_KINDS.includes(d.kind)).flatMap((d) => d.webhooks as Array<Record<string, any>>);
const probePod = (docs: Doc[]) => docs.find((d) => d.kind === 'Pod' && d.metadata.annotations?.['helm.sh/hook'] === 'test');
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
const repoFile = (path: string) => yaml.loadAll(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')) as Doc[];

describe('helm lint', () => {
  for (const mode of ['secret', 'helm', 'cert-manager']) {
    it(`passes --strict with tls.mode=${mode}`, async () => {
      const run = await helm(['lint', '--strict', CHART_DIR, '--set', `tls.mode=${mode}`, '--set', 'serviceMonitor.enabled=true']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
    });
  }
});

describe('TLS modes', () => {
  it('helm: one generated CA in the Secret, every caBundle and the probe; a serving certificate for the Service', async () => {
    const docs = await render({ tls: { mode: 'helm' } });
    const secret = find(docs, 'Secret', 'flink-ha-webhook-tls')!;
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.equal(secret.metadata.annotations?.['helm.sh/resource-policy'], 'keep', 'a rollback or mode switch never deletes the pair Pods serve with');
    const ca = secret.data['ca.crt'] as string;
    const bundles = webhooksOf(docs).map((w) => w.clientConfig.caBundle);
    assert.equal(bundles.length, 7, 'seven webhooks: mutating workloads; validating HA ConfigMaps, namespaces (labelled, unmarked, release), workloads, Flink resources');
    assert.deepEqual(new Set(bundles), new Set([ca]), 'every webhook trusts the CA in the Secret');
    assert.equal(argAfter(probePod(docs)!.spec.containers[0].args, '--ca-bundle'), ca);
    const caCert = new X509Certificate(Buffer.from(ca, 'base64'));
    const serving = new X509Certificate(Buffer.from(secret.data['tls.crt'] as string, 'base64'));
    assert.ok(serving.checkIssued(caCert) && serving.verify(caCert.publicKey), 'signed by the CA');
    assert.match(serving.subjectAltName ?? '', /DNS:flink-ha-webhook\.flink-ha-webhook\.svc\b/);
    assert.ok(Date.parse(serving.validTo) > Date.now() + 365 * 86_400_000, 'valid for years: no expiry surprise');
    for (const d of docs) assert.equal(d.metadata.annotations?.['cert-manager.io/inject-ca-from'], undefined);
  });

  it('cert-manager: the Issuer and Certificate of manifests/cert-manager, inject-ca-from on both configurations, no caBundle', async () => {
    const docs = await render({ tls: { mode: 'cert-manager' } });
    const certificate = docs.find((d) => d.kind === 'Certificate' && d.metadata.name === 'flink-ha-webhook-serving')!;
    // The kustomize overlay and the chart describe the same objects: the CA's Issuers and Certificate, the serving one.
    const certManagerObjects = (objects: typeof docs) => objects
      .filter((d) => d.kind === 'Issuer' || d.kind === 'Certificate')
      .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
    const overlay = [...repoFile('manifests/cert-manager/issuer.yaml'), ...repoFile('manifests/cert-manager/certificate.yaml')];
    assert.equal(certManagerObjects(docs).length, 4);
    assert.deepEqual(certManagerObjects(docs), certManagerObjects(overlay));
    for (const kind of WEBHOOK_KINDS) {
      assert.equal(find(docs, kind)!.metadata.annotations?.['cert-manager.io/inject-ca-from'], 'flink-ha-webhook/flink-ha-webhook-serving', kind);
    }
    assert.ok(webhooksOf(docs).every((w) => w.clientConfig.caBundle === undefined), 'no webhook carries a caBundle when cert-manager injects it');
    assert.equal(find(docs, 'Deployment')!.spec.template.spec.volumes[0].secret.secretName, certificate.spec.secretName);
    assert.equal(argAfter(probePod(docs)!.spec.containers[0].args, '--ca-file'), '/certs/ca.crt', 'the probe trusts the ca.crt cert-manager injects');
    assert.equal(find(docs, 'Secret'), undefined);
  });

  it('cert-manager with your issuer: no Issuer rendered, the Certificate names yours', async () => {
    const docs = await render({ tls: { mode: 'cert-manager', certManager: { issuerRef: { kind: 'ClusterIssuer', name: 'internal-ca' }, duration: '720h' } } });
    assert.equal(find(docs, 'Issuer'), undefined);
    assert.deepEqual(find(docs, 'Certificate')!.spec.issuerRef, { kind: 'ClusterIssuer', name: 'internal-ca' });
    assert.equal(find(docs, 'Certificate')!.spec.duration, '720h');
  });

  it('secret: your Secret (by name) and your caBundle on every webhook and the probe', async () => {
    const caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
    const docs = await render({ tls: { mode: 'secret', secretName: 'corp-tls', caBundle } });
    assert.deepEqual(new Set(webhooksOf(docs).map((w) => w.clientConfig.caBundle)), new Set([caBundle]));
    assert.equal(find(docs, 'Deployment')!.spec.template.spec.volumes[0].secret.secretName, 'corp-tls');
    assert.equal(argAfter(probePod(docs)!.spec.containers[0].args, '--ca-bundle'), caBundle);
    assert.equal(find(docs, 'Secret'), undefined);
  });
});

describe('values reach the objects', () => {
  it('image, replicas, resources, scheduling, failure policies, labels and annotations', async () => {
    const docs = await render({
      image: { repository: 'registry.example.com/flink-ha-webhook', tag: '0.2.0', pullPolicy: 'Always' },
      replicas: 3,
      // null drops a default (Helm merges maps): no CPU limit, as some teams prefer.
      resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: null },
      priorityClassName: 'platform-critical',
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['platform'] }] }] } } },
      failurePolicy: { mutation: 'Fail', haConfigMaps: 'Fail', namespaces: 'Ignore', workloadValidation: 'Fail' },
      commonLabels: { team: 'platform' },
      commonAnnotations: { 'example.com/owner': 'platform' },
      podLabels: { 'sidecar.istio.io/inject': 'false' },
    });
    const deployment = find(docs, 'Deployment')!;
    const pod = deployment.spec.template.spec;
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(pod.containers[0].image, 'registry.example.com/flink-ha-webhook:0.2.0');
    assert.equal(pod.containers[0].imagePullPolicy, 'Always');
    assert.deepEqual(pod.containers[0].resources, { requests: { cpu: '200m', memory: '256Mi' } });
    assert.equal(pod.priorityClassName, 'platform-critical');
    assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.equal(pod.tolerations[0].key, 'dedicated');
    assert.ok(pod.affinity.nodeAffinity && !pod.affinity.podAntiAffinity, 'your affinity replaces the default spread');
    assert.equal(deployment.spec.template.metadata.labels['sidecar.istio.io/inject'], 'false');
    assert.deepEqual(deployment.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'flink-ha-webhook' }, 'the selector never changes with values');
    assert.equal(probePod(docs)!.spec.containers[0].image, pod.containers[0].image, 'helm test runs the same image');
    const policies = Object.fromEntries(webhooksOf(docs).map((w) => [`${w.name}${w.reinvocationPolicy ? ' (mutating)' : ''}`, w.failurePolicy]));
    assert.deepEqual(policies, {
      'workloads.flink-ha.io (mutating)': 'Fail',
      'ha-configmaps.flink-ha.io': 'Fail',
      'namespaces.flink-ha.io': 'Ignore',
      'unmarked-namespaces.flink-ha.io': 'Ignore',
      'releasing-namespaces.flink-ha.io': 'Ignore',
      'workloads.flink-ha.io': 'Fail',
      'flink-resources.flink-ha.io': 'Fail',
    });
    for (const d of docs) {
      assert.equal(d.metadata.labels?.team, 'platform', `${d.kind} labelled`);
      if (d.kind !== 'Pod') assert.equal(d.metadata.annotations?.['example.com/owner'], 'platform', `${d.kind} annotated`);
    }
  });

  it("the image: repository and tag, the chart's appVersion for an empty tag, a digest over both (webhook and helm test)", async () => {
    const appVersion = (yaml.load(readFileSync(`${CHART_DIR}/Chart.yaml`, 'utf8')) as { appVersion: string }).appVersion;
    const images = async (image: unknown) => {
      const docs = await render({ image });
      return [find(docs, 'Deployment')!.spec.template.spec.containers[0].image, probePod(docs)!.spec.containers[0].image];
    };
    const digest = `sha256:${'ab'.repeat(32)}`;
    assert.deepEqual(await images({}), [`flink-ha-webhook:${appVersion}`, `flink-ha-webhook:${appVersion}`], 'empty tag: appVersion');
    assert.deepEqual(await images({ repository: 'registry.example.com/p/flink-ha-webhook' }), Array(2).fill(`registry.example.com/p/flink-ha-webhook:${appVersion}`), 'a repository alone is enough');
    assert.deepEqual(await images({ repository: 'r.example.com/w', tag: '0.2.0' }), Array(2).fill('r.example.com/w:0.2.0'), 'a tag');
    assert.deepEqual(await images({ repository: 'r.example.com/w', tag: '0.2.0', digest }), Array(2).fill(`r.example.com/w@${digest}`), 'a digest wins');
  });

  it('a config change rolls the Pods: the checksum annotation follows the config file', async () => {
    const checksum = async (config: unknown) => find(await render({ config }), 'Deployment')!.spec.template.metadata.annotations['checksum/config'];
    // The first-install default is warn (issue 24): switching to enforce is the change that must roll the Pods.
    assert.notEqual(await checksum({}), await checksum({ mode: 'enforce' }));
  });

  it('the storageDir template reaches the config file only when set', async () => {
    const file = async (config: unknown) => yaml.load(find(await render({ config }), 'ConfigMap')!.data['webhook.yaml']) as Record<string, unknown>;
    assert.equal((await file({})).storageDirTemplate, undefined);
    assert.equal((await file({ storageDirTemplate: 's3://ha/{namespace}/{clusterId}' })).storageDirTemplate, 's3://ha/{namespace}/{clusterId}');
  });

  it('another release name and namespace: every name and reference follows', async () => {
    const run = await helm(['template', 'guard', CHART_DIR, '--namespace', 'platform']);
    assert.equal(run.code, 0, run.stderr);
    const docs = (yaml.loadAll(run.stdout) as Doc[]).filter(Boolean);
    const service = find(docs, 'Service')!;
    assert.equal(service.metadata.name, 'guard-flink-ha-webhook');
    for (const w of webhooksOf(docs)) assert.deepEqual(w.clientConfig.service, { namespace: 'platform', name: 'guard-flink-ha-webhook', path: w.clientConfig.service.path, port: 443 });
    for (const w of webhooksOf(docs)) assert.ok(w.namespaceSelector.matchExpressions[0].values.includes('platform'), 'its own namespace excluded');
    const pod = find(docs, 'Deployment')!.spec.template.spec;
    assert.equal(pod.volumes.find((v: any) => v.name === 'certs').secret.secretName, 'guard-flink-ha-webhook-tls');
    assert.equal(pod.volumes.find((v: any) => v.name === 'config').configMap.name, find(docs, 'ConfigMap')!.metadata.name);
    assert.equal(pod.serviceAccountName, find(docs, 'ServiceAccount')!.metadata.name);
    assert.equal(find(docs, 'ClusterRoleBinding')!.subjects[0].namespace, 'platform');
    assert.equal(find(docs, 'Namespace')!.metadata.name, 'platform', 'helm template has no cluster to find it in');
  });

  it('helm template without a namespace renders no Namespace "default"', async () => {
    const run = await helm(['template', 'flink-ha-webhook', CHART_DIR]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(find((yaml.loadAll(run.stdout) as Doc[]).filter(Boolean), 'Namespace'), undefined);
  });
});

describe('optional objects', () => {
  it('the NetworkPolicy admits 8443 from anywhere by default, from networkPolicy.from when set', async () => {
    const open = find(await render(), 'NetworkPolicy')!;
    assert.equal(open.spec.ingress[0].from, undefined, 'default: no from (every source)');
    const peers = [{ ipBlock: { cidr: '10.0.0.0/24' } }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }];
    const narrowed = find(await render({ networkPolicy: { from: peers } }), 'NetworkPolicy')!;
    assert.deepEqual(narrowed.spec.ingress[0].from, peers, 'the peers, as given');
    assert.deepEqual(narrowed.spec.ingress[0].ports, [{ protocol: 'TCP', port: 8443 }], 'still only 8443');
  });

  it('clientAuth: the client CA in a ConfigMap, mounted, named in the config, and the helm test expecting the refusal', async () => {
    const none = await render();
    assert.equal(find(none, 'ConfigMap', 'flink-ha-webhook-client-ca'), undefined, 'off by default');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const docs = await render({ clientAuth: { caBundle: Buffer.from(pem).toString('base64') } });
    assert.equal(find(docs, 'ConfigMap', 'flink-ha-webhook-client-ca')!.data['ca.crt'], `${pem}\n`);
    const pod = find(docs, 'Deployment')!.spec.template.spec;
    assert.equal(pod.volumes.find((v: Doc) => v.name === 'client-ca').configMap.name, 'flink-ha-webhook-client-ca');
    assert.equal(pod.containers[0].volumeMounts.find((m: Doc) => m.name === 'client-ca').mountPath, '/etc/flink-ha-webhook-client-ca');
    const config = yaml.load(find(docs, 'ConfigMap', 'flink-ha-webhook-config')!.data['webhook.yaml']) as Doc;
    assert.deepEqual(config.tls, { clientCaFile: '/etc/flink-ha-webhook-client-ca/ca.crt', requireClientCert: true });
    assert.ok(probePod(docs)!.spec.containers[0].args.includes('--expect-client-auth'), 'the probe has no API server certificate');
    const observing = await render({ clientAuth: { caBundle: Buffer.from(pem).toString('base64'), require: false } });
    assert.equal((yaml.load(find(observing, 'ConfigMap', 'flink-ha-webhook-config')!.data['webhook.yaml']) as Doc).tls.requireClientCert, false);
    assert.ok(!probePod(observing)!.spec.containers[0].args.includes('--expect-client-auth'), 'served then: the probe is judged as usual');
  });

  it('the NetworkPolicy can be left out', async () => {
    assert.ok(find(await render(), 'NetworkPolicy'), 'the NetworkPolicy is rendered by default');
    assert.equal(find(await render({ networkPolicy: { enabled: false } }), 'NetworkPolicy'), undefined);
  });

  it('the ServiceMonitor only when enabled and the cluster serves monitoring.coreos.com/v1', async () => {
    const enabled = { serviceMonitor: { enabled: true, labels: { release: 'prometheus' } } };
    assert.equal(find(await render(enabled), 'ServiceMonitor'), undefined, 'no Prometheus operator CRDs: nothing that would fail the install');
    assert.equal(find(await render({}, ['--api-versions', 'monitoring.coreos.com/v1']), 'ServiceMonitor'), undefined, 'not enabled');
    const monitor = find(await render(enabled, ['--api-versions', 'monitoring.coreos.com/v1']), 'ServiceMonitor')!;
    assert.equal(monitor.metadata.labels?.release, 'prometheus');
    assert.deepEqual(monitor.spec.endpoints[0].tlsConfig.ca.secret, { name: 'flink-ha-webhook-tls', key: 'ca.crt' });
    assert.equal(monitor.spec.endpoints[0].path, '/metrics');
  });

  it('the helm test Pod: hook, no shell, no token, restricted; left out with test.enabled=false', async () => {
    const pod = probePod(await render())!;
    assert.equal(pod.spec.containers[0].args[0], 'probe');
    assert.equal(argAfter(pod.spec.containers[0].args, '--url'), 'https://flink-ha-webhook.flink-ha-webhook.svc');
    assert.equal(pod.spec.automountServiceAccountToken, false);
    assert.equal(pod.spec.containers[0].securityContext.readOnlyRootFilesystem, true);
    assert.equal(probePod(await render({ test: { enabled: false } })), undefined);
  });
});

// One call per Pod (docs/latency.md): the mutating webhook judges a Pod whole, so the validating one leaves Pods out,
// unless its failurePolicy is stricter than the mutation's (an outage must still hold Pods as configured).
describe('Pods and the validating workloads webhook', () => {
  const validatingWorkloads = (docs: Doc[]) => docs.find((d) => d.kind === 'ValidatingWebhookConfiguration')!.webhooks.find((w: { name: string }) => w.name === 'workloads.flink-ha.io') as { rules: Array<{ resources: string[] }> };
  const resources = (docs: Doc[]) => validatingWorkloads(docs).rules.flatMap((r) => r.resources);
  const mutatingResources = (docs: Doc[]) => (find(docs, 'MutatingWebhookConfiguration')!.webhooks[0] as { rules: Array<{ resources: string[] }> }).rules.flatMap((r) => r.resources);
  const cases: Array<{ mutation: string; workloadValidation: string; pods: boolean }> = [
    { mutation: 'Ignore', workloadValidation: 'Ignore', pods: false },
    { mutation: 'Fail', workloadValidation: 'Fail', pods: false },
    { mutation: 'Fail', workloadValidation: 'Ignore', pods: false },
    { mutation: 'Ignore', workloadValidation: 'Fail', pods: true },
  ];
  for (const c of cases) {
    it(`mutation ${c.mutation}, workloadValidation ${c.workloadValidation}: Pods ${c.pods ? 'also' : 'not'} validated`, async () => {
      const docs = await render({ failurePolicy: { mutation: c.mutation, workloadValidation: c.workloadValidation } });
      assert.equal(resources(docs).includes('pods'), c.pods, `validating workloads.flink-ha.io resources: ${JSON.stringify(resources(docs))}`);
      assert.ok(resources(docs).includes('configmaps'), 'Flink config ConfigMaps are still validated');
      assert.ok(mutatingResources(docs).includes('pods'), 'the mutating webhook always sees Pods');
    });
  }
});
