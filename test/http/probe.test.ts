// `flink-ha-webhook probe` (the chart's helm test) against the real server: it passes only when the webhook behind
// the URL serves a certificate the given CA verifies and its HA ConfigMap guard judges the dry-run review.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bufferIo, run } from '../../src/cli/main.ts';
import { checkAnswer } from '../../src/cli/probe.ts';
import { startTestServer, type TestServer } from './helpers.ts';

async function probe(args: string[]) {
  const io = bufferIo();
  const code = await run(['probe', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('probe', () => {
  let server: TestServer;
  let warnServer: TestServer;
  before(async () => {
    server = await startTestServer();
    warnServer = await startTestServer({ config: { guardMode: 'warn' } });
  });
  after(async () => {
    await server.close();
    await warnServer.close();
  });

  it('passes against the webhook, TLS verified with the CA file: the guard denied the dry-run delete', async () => {
    const caFile = join(server.certDir, 'ca.crt');
    const r = await probe(['--url', server.url, '--ca-file', caFile]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /TLS verified: denied: .*\[protect-ha-configmap\]/);
  });

  it('takes the caBundle (base64) as the webhook configurations carry it', async () => {
    const r = await probe(['--url', `${server.url}/`, '--ca-bundle', server.ca.toString('base64')]);
    assert.equal(r.code, 0, r.err);
  });

  it('checks the certificate for --server-name instead of the URL\'s host (a Pod IP in the URL, the Service name in the cert)', async () => {
    const ca = server.ca.toString('base64');
    const named = await probe(['--url', server.url, '--ca-bundle', ca, '--server-name', 'localhost']);
    assert.equal(named.code, 0, named.err);
    const other = await probe(['--url', server.url, '--ca-bundle', ca, '--server-name', 'flink-ha-webhook.elsewhere.svc']);
    assert.equal(other.code, 1);
    assert.match(other.err, /flink-ha-webhook\.elsewhere\.svc/);
  });

  it('passes in guardMode warn: allowed, with the rule named in a warning', async () => {
    const r = await probe(['--url', warnServer.url, '--ca-bundle', warnServer.ca.toString('base64')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /allowed/);
  });

  it('fails when the CA does not verify the serving certificate (a caBundle that would fail the API server too)', async () => {
    const r = await probe(['--url', server.url, '--ca-bundle', warnServer.ca.toString('base64')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /certificate/);
  });

  it('fails when nothing listens, and on a bad URL or CA file with a usage error', async () => {
    const down = await probe(['--url', 'https://127.0.0.1:1', '--ca-file', join(server.certDir, 'ca.crt'), '--timeout', '2000']);
    assert.equal(down.code, 1);
    assert.match(down.err, /ECONNREFUSED/);
    assert.equal((await probe(['--url', 'not a url'])).code, 2);
    assert.equal((await probe(['--url', server.url, '--ca-file', '/nonexistent/ca.crt'])).code, 2);
  });

  it('judges answers: a wrong uid, a guard that does not answer, not an AdmissionReview', () => {
    const uid = 'u-1';
    const answer = (response: unknown) => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
    assert.deepEqual(checkAnswer(200, answer({ uid, allowed: false, status: { message: '[protect-ha-configmap] no' } }), uid).problems, []);
    assert.match(checkAnswer(200, answer({ uid: 'other', allowed: false, status: { message: '[protect-ha-configmap]' } }), uid).problems.join(), /not the request's/);
    assert.match(checkAnswer(200, answer({ uid, allowed: true }), uid).problems.join(), /does not name protect-ha-configmap/);
    assert.match(checkAnswer(200, '<html>', uid).problems.join(), /not JSON/);
    assert.match(checkAnswer(503, 'draining', uid).problems.join(), /HTTP 503/);
  });
});
