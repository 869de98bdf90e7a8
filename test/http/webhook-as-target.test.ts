// The webhook itself as a target: who can spend its review budget, and what a hostile review costs. Over real
// HTTPS: a slow-body flood from another address leaves the API server's reviews answered; a body slower than the
// minimum rate is dropped and its budget freed; one connection holds at most one review's worth; with a client CA
// only verified clients are served; a YAML alias bomb in a Flink config.yaml is answered with a clear reason, and
// dry-run and audit say the same. Outcomes only: the timings are bench/hostile.bench.ts's.
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createCa, createClientCert, exportKey } from '../../src/server/certs.ts';
import { decide as policyDecide } from '../../src/policy/decide.ts';
import { MAX_CONFIG_YAML_BYTES } from '../../src/flink/config-carriers.ts';
import { runCli } from '../support/cli.ts';
import { admissionResponseOf, postRaw, sampleReview, startTestServer, type Json, type RawResponse, type TestServer } from './helpers.ts';

const MiB = 1024 * 1024;

/** A small review the API server would send: a person updating an HA ConfigMap's data (denied, answered 200). */
function smallReview(uid: string): string {
  const review = sampleReview('ha-configmap-update');
  review.request.uid = uid;
  return JSON.stringify(review);
}

/**
 * Opens a TLS connection from `localAddress`, sends headers declaring `declared` bytes and the first `sendNow`
 * of them, then `trickle` bytes every 200 ms. Resolves with what the server answered, or 'closed'.
 */
function slowBody(srv: TestServer, opts: { localAddress?: string; declared: number; sendNow: number; trickle?: number }) {
  const raw = net.connect({ host: '127.0.0.1', port: srv.ws.port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
  const socket = tls.connect({ socket: raw, ca: srv.ca, servername: 'localhost' });
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  const answered = new Promise<string>((resolve) => {
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve(text === '' ? 'closed' : text.split('\r\n')[0]!);
    });
  });
  socket.once('secureConnect', () => {
    socket.write(`POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${opts.declared}\r\n\r\n`);
    socket.write(Buffer.alloc(opts.sendNow, 0x20));
    if (opts.trickle) timer = setInterval(() => socket.write(Buffer.alloc(opts.trickle!, 0x20)), 200);
  });
  return { answered, stop: () => socket.destroy() };
}

async function metricsOf(srv: TestServer): Promise<string> {
  const { default: request } = await import('supertest');
  return (await request(srv.ws.server).get('/metrics').ca(srv.ca)).text;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('a slow-body flood from another address', () => {
  let srv: TestServer;
  before(async () => {
    // A small budget, so that the flood would fill it twice over without the per-address share.
    srv = await startTestServer({ config: { server: { maxInflightBodyBytes: 16 * MiB, maxInflightBodyBytesPerPeer: 8 * MiB, bodyRateGraceMs: 5000 } } });
  });
  after(() => srv.close());

  it('holds at most its address\'s share: the reviews from the API server\'s address are all decided', async () => {
    // 12 connections from 127.0.0.2, each 3 MiB of a 7 MiB body at once and then a trickle that keeps it alive.
    const flood = Array.from({ length: 12 }, () => slowBody(srv, { localAddress: '127.0.0.2', declared: 7 * MiB, sendNow: 3 * MiB, trickle: 64 * 1024 }));
    try {
      await until('the flood to take its share', () => srv.ws.budget.heldBy('127.0.0.2') >= 3 * MiB);
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => postRaw(`${srv.url}/validate`, smallReview(`normal-${i}`), { ca: srv.ca })
        .catch((e: Error): RawResponse => ({ status: -1, headers: {}, body: e.message }))));
      for (const [i, a] of answers.entries()) assert.equal(a.status, 200, `normal review ${i} during the flood: ${a.status} ${a.body.slice(0, 200)}`);
      assert.ok(srv.ws.budget.heldBy('127.0.0.2') <= 8 * MiB, `the flood holds no more than its share: ${srv.ws.budget.heldBy('127.0.0.2')}`);
    } finally {
      for (const f of flood) f.stop();
    }
    const refused = (await Promise.all(flood.map((f) => f.answered))).filter((a) => a.includes('429')).length;
    assert.ok(refused > 0, 'the flood\'s connections past the share were answered 429');
    assert.match(await metricsOf(srv), /reason="peer_overloaded"\} [1-9]/, 'counted as peer_overloaded');
    await until('the budget given back once the flood is gone', () => srv.ws.budget.held === 0);
  });
});

describe('a body slower than server.minBodyBytesPerSecond', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ config: { server: { minBodyBytesPerSecond: 256 * 1024, bodyRateGraceMs: 300 } } });
  });
  after(() => srv.close());

  it('is dropped after the grace period (408), its budget freed at once, and counted', async () => {
    const slow = slowBody(srv, { declared: 5 * MiB, sendNow: 2 * MiB, trickle: 1024 });
    await until('the body to be held', () => srv.ws.budget.held >= 2 * MiB);
    const status = await slow.answered;
    assert.match(status, /^HTTP\/1\.1 408|^closed$/, `dropped: ${status}`);
    assert.equal(srv.ws.budget.held, 0, 'nothing held once it is dropped');
    assert.match(await metricsOf(srv), /flink_ha_webhook_admission_errors_total\{webhook="validate",reason="too_slow"\} 1/);
    // A body that keeps its rate is not: a 2 MiB review sent in 64 KiB pieces every 20 ms (3.2 MiB/s).
    const review = sampleReview('ha-configmap-update');
    review.request.object.data.padding = 'x'.repeat(2 * MiB);
    const body = Buffer.from(JSON.stringify(review));
    const answer = await new Promise<number>((resolve, reject) => {
      const req = https.request(`${srv.url}/validate`, { method: 'POST', ca: srv.ca, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      let at = 0;
      const next = () => {
        req.write(body.subarray(at, at + 65536));
        at += 65536;
        if (at < body.length) setTimeout(next, 20);
        else req.end();
      };
      next();
    });
    assert.equal(answer, 200, 'a body arriving at 3.2 MiB/s for ~0.7 s is decided');
  });
});

describe('one connection holds one review\'s worth of the budget', () => {
  let srv: TestServer;
  let release: () => void = () => undefined;
  before(async () => {
    const gate = new Promise<void>((resolve) => (release = resolve));
    srv = await startTestServer({
      config: { server: { maxInflightBodyBytesPerPeer: 32 * MiB } },
      // The first review waits here while its connection's second (pipelined) body arrives.
      decide: async (request, ctx, phase) => {
        await gate;
        return policyDecide(request, ctx, phase);
      },
    });
  });
  after(() => srv.close());

  it('a second body pipelined on a connection holding 5 MiB is answered 429; another connection is served', async () => {
    const review = sampleReview('ha-configmap-update');
    review.request.object.data.padding = 'x'.repeat(5 * MiB);
    const body = JSON.stringify(review);
    const head = `POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const socket = tls.connect({ host: '127.0.0.1', port: srv.ws.port, ca: srv.ca, servername: 'localhost' });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.write(head + body + head + body);
    // The other connection from the same address: its own 5 MiB fit the address's share.
    await until('the first body to be held', () => srv.ws.budget.held >= 5 * MiB);
    // Refused as soon as its headers declare 5 MiB more for this connection; the 429 itself is written after the
    // first answer (HTTP/1.1 answers in order).
    for (let i = 0; !/reason="peer_overloaded"\} 1/.test(await metricsOf(srv)); i++) {
      assert.ok(i < 500, 'the pipelined body is refused');
      await sleep(20);
    }
    assert.ok(srv.ws.budget.held < 7 * MiB, `the pipelined body is not held: ${srv.ws.budget.held}`);
    const other = postRaw(`${srv.url}/validate`, body, { ca: srv.ca });
    await until('the other connection\'s body to be held', () => srv.ws.budget.held >= 10 * MiB, 20_000);
    release();
    assert.equal((await other).status, 200, 'another connection is served');
    await until('both answers on the first connection', () => (text.match(/HTTP\/1\.1 /g) ?? []).length >= 2 || socket.destroyed, 20_000);
    socket.destroy();
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses.slice(0, 2), ['200', '429'], `the first connection's answers: ${statuses.join(',')}`);
    assert.match(text, /one review per connection/, 'the 429 says why');
  });
});

describe('client-certificate authentication (tls.clientCaFile)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fhw-client-ca-'));
  const pem = (c: { toString(f: 'pem'): string }) => c.toString('pem');
  let apiServer: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  let required: TestServer;
  let observing: TestServer;
  before(async () => {
    const ca = await createCa();
    const otherCa = await createCa();
    writeFileSync(join(dir, 'client-ca.crt'), pem(ca.cert));
    const mine = await createClientCert(ca, 'kube-apiserver');
    const theirs = await createClientCert(otherCa, 'kube-apiserver');
    apiServer = { cert: pem(mine.cert), key: await exportKey(mine.key) };
    stranger = { cert: pem(theirs.cert), key: await exportKey(theirs.key) };
    required = await startTestServer({ config: { tls: { clientCaFile: join(dir, 'client-ca.crt') } } });
    observing = await startTestServer({ config: { tls: { clientCaFile: join(dir, 'client-ca.crt'), requireClientCert: false } } });
  });
  after(async () => {
    await required.close();
    await observing.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (srv: TestServer, client?: { cert: string; key: string }) => new Promise<RawResponse>((resolve, reject) => {
    const body = smallReview('auth');
    const req = https.request(`${srv.url}/validate`, {
      method: 'POST', ca: srv.ca, agent: false, ...(client ?? {}),
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });

  it('refuses a client without a certificate, or with one of another CA (403); serves the CA-signed one', async () => {
    const none = await post(required);
    assert.equal(none.status, 403, none.body);
    assert.match(JSON.parse(none.body).message, /client certificate signed by the webhook's client CA is required \(none was sent\)/);
    const other = await post(required, stranger);
    assert.equal(other.status, 403, `a certificate of another CA: ${other.body}`);
    const mine = await post(required, apiServer);
    assert.equal(admissionResponseOf(mine, 'auth').allowed, false, 'served: the person\'s HA ConfigMap edit is decided (denied)');
    assert.match(await metricsOf(required), /reason="unauthenticated"\} 2/, 'both refusals counted');
  });

  it('keeps the probes and metrics open (the kubelet and Prometheus carry no client certificate)', async () => {
    const { default: request } = await import('supertest');
    assert.equal((await request(required.ws.server).get('/readyz').ca(required.ca)).status, 200);
    assert.equal((await request(required.ws.server).get('/healthz').ca(required.ca)).status, 200);
    assert.equal((await request(required.ws.server).get('/metrics').ca(required.ca)).status, 200);
  });

  it('with requireClientCert false, serves an unverified client and counts it (to roll out the API server side first)', async () => {
    assert.equal((await post(observing)).status, 200);
    assert.equal((await post(observing, apiServer)).status, 200);
    assert.match(await metricsOf(observing), /reason="unverified_client"\} 1/, 'only the unverified one counted');
  });
});

/** A Flink config.yaml of 2000-key maps aliased ten at a time: 1.7 MiB once expanded, from 15 KB of text (within the size bound). */
function bombConfigYaml(): string {
  const lines = ['kubernetes.cluster-id: bomb', 'high-availability.type: kubernetes', `a0: &a0 {${Array.from({ length: 2000 }, (_, i) => `k${i}: 1`).join(', ')}}`];
  for (let i = 1; i <= 9; i++) lines.push(`b${i}: {${Array.from({ length: 10 }, (_, j) => `x${j}: *a0`).join(', ')}}`);
  return `${lines.join('\n')}\n`;
}

/** The same with merge keys, 29 KB: js-yaml would copy 1500 keys per `<<` while parsing (most of a second for 1000 of them). */
function mergeBombConfigYaml(): string {
  const lines = ['kubernetes.cluster-id: merge', 'high-availability.type: kubernetes', `a0: &a0 {${Array.from({ length: 1500 }, (_, i) => `k${i}: 1`).join(', ')}}`];
  for (let i = 0; i < 1000; i++) lines.push(`m${i}: {<<: *a0}`);
  return `${lines.join('\n')}\n`;
}

describe('a YAML alias bomb in a Flink config ConfigMap', () => {
  let srv: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'fhw-bomb-'));
  const ENV = { FLINK_HA_STORAGE_DIR_TEMPLATE: 's3://flink-ha/{namespace}/{clusterId}' };
  before(async () => {
    srv = await startTestServer({ config: { storageDirTemplate: ENV.FLINK_HA_STORAGE_DIR_TEMPLATE } });
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, text] of [['aliases', bombConfigYaml()], ['merge keys', mergeBombConfigYaml()]] as const) {
    it(`(${name}) is answered with the reason by /mutate and /validate, and dry-run and audit say the same`, async () => {
      assert.ok(text.length < MAX_CONFIG_YAML_BYTES, `the ${name} bomb (${text.length} bytes) is within the size bound, so it is refused for its aliases`);
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flink-config', namespace: 'bombs' }, data: { 'config.yaml': text } };
      const review = (uid: string): Json => ({
        apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
        request: { uid, operation: 'CREATE', namespace: 'bombs', object: cm, oldObject: null, userInfo: { username: 'mallory' }, kind: { group: '', version: 'v1', kind: 'ConfigMap' } },
      });
      const mutated = admissionResponseOf(await postRaw(`${srv.url}/mutate`, JSON.stringify(review('m')), { ca: srv.ca }), 'm');
      // Mutation fails open (mutationFailurePolicy Ignore): admitted unchanged, with the reason in a warning.
      assert.equal(mutated.allowed, true, JSON.stringify(mutated));
      assert.equal(mutated.patch, undefined, 'nothing patched into a config the webhook would not read');
      assert.match((mutated.warnings ?? []).join('\n'), /config\.yaml is refused: excessive aliasing/, JSON.stringify(mutated.warnings));
      const validated = admissionResponseOf(await postRaw(`${srv.url}/validate`, JSON.stringify(review('v')), { ca: srv.ca }), 'v');
      assert.equal(validated.allowed, true, JSON.stringify(validated));

      const file = join(dir, `${name.replace(' ', '-')}.yaml`);
      writeFileSync(file, JSON.stringify(cm));
      const dry = await runCli(['dry-run', file, '-o', 'json'], { env: ENV });
      const audit = await runCli(['audit', file, '-o', 'json'], { env: ENV });
      assert.ok(dry.code !== null && dry.code !== 2, `dry-run read the file: ${dry.stderr}`);
      const dryFindings = (JSON.parse(dry.stdout) as Array<{ findings: Array<{ rule: string; action: string; message: string }> }>).flatMap((r) => r.findings);
      const refused = dryFindings.filter((f) => /excessive aliasing/.test(f.message));
      assert.ok(refused.length > 0 && refused.every((f) => f.rule === 'policy-error' && f.action === 'warned'), `dry-run warns as the webhook does: ${JSON.stringify(dryFindings)}`);
      const auditFindings = (JSON.parse(audit.stdout) as { findings: Array<{ rule: string; action: string; message: string }> }).findings;
      assert.deepEqual(
        auditFindings.filter((f) => /excessive aliasing/.test(f.message)).map((f) => `${f.rule}:${f.action}`).sort(),
        refused.map((f) => `${f.rule}:${f.action}`).sort(),
        'audit says the same as dry-run',
      );
    });
  }
});
