// Every malformed request gets its own status and a message that says what was wrong; never a 5xx.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { postRaw, sampleReview, startTestServer, type TestServer } from './helpers.ts';

const valid = sampleReview('pod-create');
const withRequest = (patch: Record<string, unknown>) => JSON.stringify({ ...valid, request: { ...valid.request, ...patch } });

const CASES: Array<{ name: string; body: string | Buffer; contentType?: string | null; status: number; message: RegExp }> = [
  { name: 'not JSON', body: '{"apiVersion": "admission.k8s.io/v1",', status: 400, message: /not JSON/ },
  { name: 'empty body', body: '', status: 400, message: /not JSON/ },
  { name: 'a JSON array', body: '[]', status: 400, message: /must be a JSON object/ },
  { name: 'JSON null', body: 'null', status: 400, message: /must be a JSON object/ },
  { name: 'v1beta1 review', body: JSON.stringify({ ...valid, apiVersion: 'admission.k8s.io/v1beta1' }), status: 400, message: /apiVersion is not admission\.k8s\.io\/v1, the only one supported/ },
  { name: 'no apiVersion', body: JSON.stringify({ ...valid, apiVersion: undefined }), status: 400, message: /apiVersion is not admission\.k8s\.io\/v1/ },
  { name: 'wrong kind', body: JSON.stringify({ ...valid, kind: 'ConversionReview' }), status: 400, message: /kind is not AdmissionReview/ },
  { name: 'no request', body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), status: 400, message: /request is missing/ },
  { name: 'request is a string', body: JSON.stringify({ ...valid, request: 'x' }), status: 400, message: /request is missing or not an object/ },
  { name: 'no uid', body: withRequest({ uid: undefined }), status: 400, message: /request\.uid is missing/ },
  { name: 'empty uid', body: withRequest({ uid: '' }), status: 400, message: /request\.uid is missing/ },
  { name: 'numeric uid', body: withRequest({ uid: 42 }), status: 400, message: /request\.uid is missing or not a non-empty string/ },
  { name: 'unknown operation', body: withRequest({ operation: 'PATCH' }), status: 400, message: /request\.operation is not one of CREATE, UPDATE, DELETE, CONNECT/ },
  { name: 'object is a string', body: withRequest({ object: 'pod' }), status: 400, message: /request\.object must be an object or null/ },
  { name: 'oldObject is an array', body: withRequest({ oldObject: [] }), status: 400, message: /request\.oldObject must be an object or null/ },
  { name: 'dryRun is a string', body: withRequest({ dryRun: 'true' }), status: 400, message: /request\.dryRun must be a boolean/ },
  { name: 'no content type', body: JSON.stringify(valid), contentType: null, status: 415, message: /content type is '\(none\)'; send application\/json/ },
  { name: 'text/plain', body: JSON.stringify(valid), contentType: 'text/plain', status: 415, message: /content type is 'text\/plain'/ },
  { name: 'application/yaml', body: 'apiVersion: admission.k8s.io/v1', contentType: 'application/yaml', status: 415, message: /send application\/json/ },
  { name: 'over 7 MiB', body: Buffer.alloc(7 * 1024 * 1024 + 1, 0x20), status: 413, message: /larger than 7340032 bytes/ },
];

describe('malformed admission requests', () => {
  it('never echoes the body: an error names where it broke, not what was sent', async () => {
    const srv2 = await startTestServer();
    try {
      const secret = 'SECRET-checkpoint-pointer-s3://bucket/ha';
      for (const body of [`{"apiVersion": "${secret}"`, JSON.stringify({ ...valid, apiVersion: secret }), JSON.stringify({ ...valid, kind: secret }), withRequest({ operation: secret }), `not json ${secret}`]) {
        const res = await postRaw(`${srv2.url}/validate`, body, { ca: srv2.ca });
        assert.equal(res.status, 400);
        assert.doesNotMatch(res.body, /SECRET/, res.body);
      }
      assert.doesNotMatch(JSON.stringify(srv2.logs), /SECRET/, 'no body fragment in a log line');
    } finally {
      await srv2.close();
    }
  });

  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.close());

  for (const path of ['/mutate', '/validate']) {
    for (const c of CASES) {
      it(`${path}: ${c.name} -> ${c.status}`, async () => {
        const res = await postRaw(srv.url + path, c.body, { ca: srv.ca, contentType: c.contentType });
        assert.equal(res.status, c.status, res.body);
        const status = JSON.parse(res.body);
        assert.equal(status.kind, 'Status');
        assert.equal(status.code, c.status);
        assert.match(status.message, c.message);
      });
    }
  }

  it('accepts application/json with a charset', async () => {
    const res = await postRaw(`${srv.url}/mutate`, JSON.stringify(valid), { ca: srv.ca, contentType: 'application/json; charset=utf-8' });
    assert.equal(res.status, 200, res.body);
  });

  it('accepts exactly 7 MiB (an UPDATE of two large objects) and counts every refusal in /metrics', async () => {
    const big = sampleReview('ha-configmap-update');
    big.request.object.data.padding = '';
    big.request.object.data.padding = 'x'.repeat(7 * 1024 * 1024 - JSON.stringify(big).length);
    const body = JSON.stringify(big);
    assert.equal(Buffer.byteLength(body), 7 * 1024 * 1024);
    const res = await postRaw(`${srv.url}/validate`, body, { ca: srv.ca });
    assert.equal(res.status, 200, res.body.slice(0, 200));
    const metrics = await request(srv.ws.server).get('/metrics').ca(srv.ca);
    assert.match(metrics.text, /flink_ha_webhook_admission_errors_total\{webhook="validate",reason="bad_request"\} \d+/);
    assert.match(metrics.text, /flink_ha_webhook_admission_errors_total\{webhook="mutate",reason="too_large"\} 1/);
    assert.match(metrics.text, /flink_ha_webhook_admission_errors_total\{webhook="mutate",reason="unsupported_media_type"\} 3/);
  });

  it('an unknown path is 404 and GET on a webhook path is 405, both with a message', async () => {
    const notFound = await request(srv.ws.server).post('/mutate/extra').ca(srv.ca).send(valid);
    assert.equal(notFound.status, 404);
    assert.match(notFound.body.message, /no such path: \/mutate\/extra/);
    const wrongMethod = await request(srv.ws.server).get('/validate').ca(srv.ca);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.allow, 'POST');
    assert.match(wrongMethod.body.message, /GET is not allowed on \/validate/);
  });

  it('the API server\'s ?timeout= query does not change the route', async () => {
    const res = await request(srv.ws.server).post('/validate?timeout=5s').ca(srv.ca).send(valid);
    assert.equal(res.status, 200);
    assert.equal(res.body.response.uid, valid.request.uid);
  });
});
