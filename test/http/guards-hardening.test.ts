// The guards over HTTP, for reviews the API server never sends but an attacker who reaches the Service can:
// odd shapes are denied with a message (fail closed) unless the API server shows no HA state is involved; a flood
// of 7 MiB reviews is answered 429 past the byte budget, counted, and memory stays bounded; TLS is 1.2+ with AEAD.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import https from 'node:https';
import tls from 'node:tls';
import { admissionResponseOf, postRaw, sampleReview, startTestServer, type Json, type RawResponse, type TestServer } from './helpers.ts';
import { fakeCluster } from '../support/policy.ts';

const haDelete = sampleReview('ha-configmap-delete');
const haUpdate = sampleReview('ha-configmap-update');
const nsDelete = sampleReview('namespace-delete');
const edit = (base: Json, patch: (r: Json) => void): Json => {
  const copy = structuredClone(base);
  patch(copy.request);
  return copy;
};

const ODD: Array<{ name: string; review: Json }> = [
  { name: 'HA ConfigMap DELETE with oldObject null', review: edit(haDelete, (r) => { r.oldObject = null; }) },
  { name: 'HA ConfigMap DELETE with oldObject missing', review: edit(haDelete, (r) => { delete r.oldObject; }) },
  { name: 'HA ConfigMap DELETE with oldObject {}', review: edit(haDelete, (r) => { r.oldObject = {}; }) },
  { name: 'HA ConfigMap DELETE whose oldObject has no kind', review: edit(haDelete, (r) => { delete r.oldObject.kind; }) },
  { name: 'UPDATE whose object is {} while oldObject is an HA ConfigMap', review: edit(haUpdate, (r) => { r.object = {}; }) },
  { name: 'UPDATE whose object is null', review: edit(haUpdate, (r) => { r.object = null; }) },
  { name: 'UPDATE whose object is a Secret', review: edit(haUpdate, (r) => { r.object = { apiVersion: 'v1', kind: 'Secret', metadata: r.oldObject.metadata }; }) },
  { name: 'UPDATE whose oldObject is missing while object is an HA ConfigMap', review: edit(haUpdate, (r) => { delete r.oldObject; }) },
  { name: 'Namespace DELETE with oldObject null', review: edit(nsDelete, (r) => { r.oldObject = null; }) },
  { name: 'DELETE of an unknown kind with no objects', review: edit(haDelete, (r) => { r.oldObject = null; delete r.kind; }) },
];

describe('odd review shapes on /validate: denied with a reason (fail closed)', () => {
  let srv: TestServer;
  before(async () => {
    // The API server cannot be asked (offline): nothing can be ruled out.
    srv = await startTestServer();
  });
  after(() => srv.close());
  for (const c of ODD) {
    it(c.name, async () => {
      const r = admissionResponseOf(await postRaw(`${srv.url}/validate`, JSON.stringify(c.review), { ca: srv.ca }), c.review.request.uid);
      assert.equal(r.allowed, false);
      assert.match(r.status!.message!, /\[policy-error\] .*(without|no kind|is a|differ|no metadata\.name).*fail closed/);
    });
  }
});

describe('odd review shapes, when the API server shows no HA state is involved', () => {
  let srv: TestServer;
  const ns = haDelete.request.namespace as string;
  before(async () => {
    const cluster = fakeCluster({ namespaces: new Map([[ns, { labels: {}, annotations: {} }], ['flink-jobs-empty', { labels: {}, annotations: {} }]]) });
    cluster.configMaps.set(`${ns}/${haDelete.request.name as string}`, null); // does not exist
    srv = await startTestServer({ cluster });
  });
  after(() => srv.close());
  it('a ConfigMap DELETE with no oldObject, of a ConfigMap that does not exist: allowed', async () => {
    const review = edit(haDelete, (r) => { r.oldObject = null; });
    assert.equal(admissionResponseOf(await postRaw(`${srv.url}/validate`, JSON.stringify(review), { ca: srv.ca })).allowed, true);
  });
  it('a Namespace DELETE with no oldObject, of a namespace holding no HA state: allowed', async () => {
    const review = edit(nsDelete, (r) => { r.oldObject = null; r.name = 'flink-jobs-empty'; });
    assert.equal(admissionResponseOf(await postRaw(`${srv.url}/validate`, JSON.stringify(review), { ca: srv.ca })).allowed, true);
  });
});

describe('TLS', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.close());
  const handshake = (options: tls.ConnectionOptions) => new Promise<string>((resolve, reject) => {
    const port = Number(new URL(srv.url).port);
    const socket = tls.connect({ host: '127.0.0.1', port, ca: srv.ca, servername: 'localhost', ...options }, () => {
      resolve(`${socket.getProtocol() ?? ''} ${socket.getCipher().name}`);
      socket.end();
    });
    socket.on('error', reject);
  });
  it('refuses TLS 1.1 and TLS 1.2 suites without AEAD; speaks TLS 1.2 with GCM and TLS 1.3', async () => {
    await assert.rejects(handshake({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }));
    await assert.rejects(handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA:AES128-SHA' }));
    assert.match(await handshake({ maxVersion: 'TLSv1.2' }), /^TLSv1\.2 ECDHE-ECDSA-(AES\d+-GCM|CHACHA20)/);
    assert.match(await handshake({}), /^TLSv1\.3 TLS_/);
  });
});

describe('a flood of 7 MiB reviews', () => {
  let srv: TestServer;
  before(async () => {
    // The whole budget is under test here: one address may take all of it (the per-address share: fairness tests).
    srv = await startTestServer({ config: { server: { maxInflightBodyBytes: 32 * 1024 * 1024, maxInflightBodyBytesPerPeer: 32 * 1024 * 1024 } } });
  });
  after(() => srv.close());
  it('is answered 429 past the byte budget (counted, Retry-After), the rest decided, and the budget is given back', async () => {
    const big = structuredClone(haUpdate);
    big.request.object.data.padding = 'x'.repeat(7 * 1024 * 1024 - JSON.stringify(big).length - 20);
    const body = JSON.stringify(big);
    const agent = new https.Agent({ keepAlive: false, maxSockets: 40 });
    const answers = await Promise.all(Array.from({ length: 30 }, () => postRaw(`${srv.url}/validate`, body, { ca: srv.ca, agent }).catch((e: Error): RawResponse => ({ status: -1, headers: {}, body: e.message }))));
    agent.destroy();
    const by = (s: number) => answers.filter((a) => a.status === s);
    assert.ok(by(429).length > 0, `some refused: ${answers.map((a) => a.status).join(',')}`);
    assert.ok(by(200).length > 0, 'some decided');
    assert.equal(by(200).length + by(429).length, answers.length, answers.map((a) => `${a.status} ${a.body.slice(0, 80)}`).join('\n'));
    for (const r of by(429)) {
      assert.equal(r.headers['retry-after'], '1');
      assert.match(JSON.parse(r.body).message, /retry shortly/);
    }
    const metrics = (await fetchMetrics(srv)).text;
    assert.match(metrics, new RegExp(`flink_ha_webhook_admission_errors_total\\{webhook="validate",reason="overloaded"\\} ${by(429).length}`));
    // Everything given back: a review goes through again.
    assert.equal((await postRaw(`${srv.url}/validate`, body, { ca: srv.ca })).status, 200);
  });
});

async function fetchMetrics(srv: TestServer) {
  const { default: request } = await import('supertest');
  return request(srv.ws.server).get('/metrics').ca(srv.ca);
}
