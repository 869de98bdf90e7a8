// The webhook as a target: with a client CA configured, /mutate and /validate answer only the API server. The real
// kube-apiserver presents its client certificate (an AdmissionConfiguration, as the README's "Trust model" says to
// install it) and its reviews are decided; a client on loopback without that certificate, or with another of the
// cluster's certificates, is refused before its body is read, and spends none of the webhook's budget.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { createFlinkNamespace, startE2E, webhookCallCounts, type E2E } from './harness/index.ts';

const NS = 'client-auth';

interface Answer {
  status: number;
  body: string;
}

/** POSTs a review to the webhook straight from this test (not through the API server), with or without a cert. */
function post(url: string, body: string, tls: { ca: string; cert?: Buffer; key?: Buffer }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: 'POST',
      ca: tls.ca,
      ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function review(uid: string): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      namespace: NS,
      name: 'plain',
      operation: 'CREATE',
      userInfo: { username: 'loopback-client' },
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain', namespace: NS }, data: { a: 'b' } },
      oldObject: null,
    },
  });
}

describe('client-certificate authentication of the API server', () => {
  let e2e: E2E;
  before(async () => {
    // registerWebhooks (in startE2E) returns only once the API server's metrics count answered calls.
    e2e = await startE2E({ webhookClientAuth: true });
    await createFlinkNamespace(e2e.plane, NS);
  });
  after(async () => {
    await e2e?.stop();
  });

  it("the API server's calls carry its certificate and are decided: a Flink config is stored mutated", async () => {
    const before = await webhookCallCounts(e2e.plane);
    const conf = 'kubernetes.cluster-id: authed\nhigh-availability.type: kubernetes\n';
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flink-config', namespace: NS }, data: { 'flink-conf.yaml': conf } };
    await e2e.plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify(cm) });
    const stored = JSON.parse(await e2e.plane.kubectlOk(['get', 'configmap', 'flink-config', '-n', NS, '-o', 'json'])) as { data: Record<string, string> };
    assert.match(stored.data['flink-conf.yaml'] ?? '', /high-availability\.storageDir: s3:\/\/flink-ha\/client-auth\/authed/,
      `the mutating webhook's patch is in the stored object (the API server's call was answered): ${stored.data['flink-conf.yaml']}`);
    const afterCounts = await webhookCallCounts(e2e.plane);
    const answered = [...afterCounts].reduce((n, [name, c]) => n + c - (before.get(name) ?? 0), 0);
    assert.ok(answered > 0, `the API server counts answered (code 200) webhook calls: ${JSON.stringify([...afterCounts])}`);
    const metrics = await webhookMetrics(e2e);
    assert.doesNotMatch(metrics, /reason="unauthenticated"/, 'no call of the API server was refused for want of a certificate');
  });

  it('a client without the certificate is refused (403, body unread); one with it is served; health stays open', async () => {
    const ca = e2e.webhook.caPem();
    const url = `${e2e.webhook.url}/validate`;
    const none = await post(url, review('no-cert'), { ca });
    assert.equal(none.status, 403, `no client certificate: ${none.body}`);
    assert.match(none.body, /client certificate signed by the webhook's client CA is required/, none.body);
    // The admin's certificate is signed by the cluster's CA, not the webhook client CA: not the API server.
    const { pki } = e2e.plane;
    const admin = await post(url, review('admin-cert'), { ca, cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) });
    assert.equal(admin.status, 403, `a cluster certificate that is not the API server's: ${admin.body}`);
    const client = e2e.plane.webhookClient;
    assert.ok(client, 'the plane was started with webhookClientAuth');
    const authed = await post(url, review('api-server-cert'), { ca, cert: readFileSync(client.cert), key: readFileSync(client.key) });
    assert.equal(authed.status, 200, `the API server's certificate is served: ${authed.body}`);
    assert.equal((JSON.parse(authed.body) as { response: { uid: string } }).response.uid, 'api-server-cert', authed.body);
    const metrics = await webhookMetrics(e2e);
    assert.match(metrics, /flink_ha_webhook_admission_errors_total\{webhook="validate",reason="unauthenticated"\} 2/, 'both refusals counted');
    const health = await new Promise<number>((resolve, reject) => {
      https.get(`${e2e.webhook.url}/readyz`, { ca, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(health, 200, 'the kubelet\'s probe path answers without a client certificate');
  });
});

/** The webhook's /metrics, read without a client certificate (Prometheus has none: the path stays open). */
async function webhookMetrics(e2e: E2E): Promise<string> {
  return new Promise((resolve, reject) => {
    https.get(`${e2e.webhook.url}/metrics`, { ca: e2e.webhook.caPem(), agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`/metrics answered ${res.statusCode}: ${text}`))));
    }).on('error', reject);
  });
}
