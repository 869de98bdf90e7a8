// Certificates: the dev pair generated on first start (SHA-256, SANs, key modes), and hot reload while
// requests flow: a rename swap and a Secret-style `..data` symlink swap are picked up with no failed request;
// a bad pair (wrong key, expired, SHA-1) is refused, the old one kept, with an error log and a metric.
import assert from 'node:assert/strict';
import { X509Certificate, webcrypto } from 'node:crypto';
import https from 'node:https';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import request from 'supertest';
import { createServingCert, ensureDevCertificates, exportKey, loadKeyPair } from '../../src/server/certs.ts';
import { sampleReview, startTestServer, type TestServer } from './helpers.ts';

const body = JSON.stringify(sampleReview('pod-create'));

/** One review on a fresh TLS connection; resolves with the status and the certificate the server showed. */
function postFresh(srv: TestServer): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${srv.url}/mutate`, { method: 'POST', ca: srv.ca, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Requests on fresh connections from `loops` clients until stopped; every failure is kept. */
function load(srv: TestServer, loops = 4) {
  let running = true;
  const seen = new Set<string>();
  const failures: string[] = [];
  let count = 0;
  const workers = Array.from({ length: loops }, async () => {
    while (running) {
      try {
        const r = await postFresh(srv);
        count++;
        seen.add(r.fingerprint);
        if (r.status !== 200) failures.push(`status ${r.status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  });
  return {
    seen,
    failures,
    get count() { return count; },
    async stop() { running = false; await Promise.all(workers); },
  };
}

async function caOf(dir: string) {
  return {
    cert: new x509.X509Certificate(readFileSync(join(dir, 'ca.crt'), 'utf8')),
    key: await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(readFileSync(join(dir, 'ca.key'), 'utf8'))[0]!, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']),
  };
}

async function newPair(dir: string, options: { days?: number; notBefore?: Date } = {}) {
  const serving = await createServingCert(await caOf(dir), [], options);
  return { cert: serving.cert.toString('pem') + '\n', key: await exportKey(serving.key) };
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('dev certificates', () => {
  it('generates a CA and a SHA-256 serving pair with the SANs, keys 0600, and reuses them on the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fhw-certs-'));
    try {
      const files = { dir, certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' };
      assert.deepEqual(await ensureDevCertificates(files, ['svc.ns.svc']), { generated: true });
      const cert = new x509.X509Certificate(readFileSync(join(dir, 'tls.crt'), 'utf8'));
      assert.equal((cert.signatureAlgorithm.hash as { name: string }).name, 'SHA-256');
      const leaf = new X509Certificate(readFileSync(join(dir, 'tls.crt')));
      assert.equal(leaf.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost, DNS:svc.ns.svc');
      assert.ok(leaf.verify(new X509Certificate(readFileSync(join(dir, 'ca.crt'))).publicKey), 'signed by the CA');
      for (const key of ['tls.key', 'ca.key']) assert.equal(statSync(join(dir, key)).mode & 0o777, 0o600, key);
      const before = readFileSync(join(dir, 'tls.crt'), 'utf8');
      assert.deepEqual(await ensureDevCertificates(files, ['svc.ns.svc']), { generated: false });
      assert.equal(readFileSync(join(dir, 'tls.crt'), 'utf8'), before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const refusals: Array<{ name: string; make: (dir: string) => Promise<{ cert: string; key: string }>; reason: RegExp }> = [
    {
      name: 'a key that belongs to another certificate',
      make: async (dir) => ({ cert: (await newPair(dir)).cert, key: (await newPair(dir)).key }),
      reason: /does not belong to the certificate/,
    },
    { name: 'an expired certificate', make: (dir) => newPair(dir, { notBefore: new Date(Date.now() - 3 * 86400_000), days: 1 }), reason: /expired/ },
    { name: 'a certificate that is not PEM', make: async (dir) => ({ cert: 'not a certificate', key: (await newPair(dir)).key }), reason: /does not parse/ },
    {
      name: 'a SHA-1 signed certificate',
      make: async (dir) => {
        const ca = await caOf(dir);
        const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
        const cert = await x509.X509CertificateGenerator.create({
          subject: 'CN=localhost', issuer: ca.cert.subject, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86400_000),
          signingAlgorithm: { name: 'ECDSA', hash: 'SHA-1' }, publicKey: keys.publicKey, signingKey: ca.key,
        });
        return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
      },
      reason: /SHA-1/,
    },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fhw-certs-'));
      try {
        await ensureDevCertificates({ dir, certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' }, []);
        const pair = await r.make(dir);
        assert.throws(() => loadKeyPair(Buffer.from(pair.cert), Buffer.from(pair.key)), r.reason);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('certificate hot reload while requests flow', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ config: { tls: { reloadIntervalMs: 100 } } });
  });
  after(() => srv.close());

  it('a pair replaced on disk (cert first, then key) is served without a restart, and no request fails', async () => {
    const old = srv.ws.certs.current().fingerprint;
    const traffic = load(srv);
    await until('traffic', () => traffic.count > 10);
    const next = await newPair(srv.certDir);
    // cert-manager style: each file replaced by rename, a moment apart (the half-swapped state is refused).
    writeFileSync(join(srv.certDir, 'tls.crt.tmp'), next.cert);
    renameSync(join(srv.certDir, 'tls.crt.tmp'), join(srv.certDir, 'tls.crt'));
    await sleep(250);
    writeFileSync(join(srv.certDir, 'tls.key.tmp'), next.key, { mode: 0o600 });
    renameSync(join(srv.certDir, 'tls.key.tmp'), join(srv.certDir, 'tls.key'));
    const want = fingerprintOf(next.cert);
    await until('the new certificate on the wire', () => traffic.seen.has(want));
    const countAtSwap = traffic.count;
    await until('more traffic', () => traffic.count > countAtSwap + 10);
    await traffic.stop();
    assert.deepEqual(traffic.failures, []);
    assert.notEqual(srv.ws.certs.current().fingerprint, old);
    assert.equal(srv.ws.certs.current().fingerprint, want);
    const metrics = await request(srv.ws.server).get('/metrics').ca(srv.ca);
    assert.match(metrics.text, /flink_ha_webhook_certificate_reloads_total\{result="success"\} 1/);
    assert.match(metrics.text, /flink_ha_webhook_certificate_reloads_total\{result="failure"\} [01]/);
  });

  it('a bad pair is refused: the old one is kept, with an error log and a metric, and no request fails', async () => {
    const kept = srv.ws.certs.current().fingerprint;
    const failuresBefore = Number(/flink_ha_webhook_certificate_reloads_total\{result="failure"\} (\d+)/.exec((await request(srv.ws.server).get('/metrics').ca(srv.ca)).text)?.[1]);
    // The previous test's half-swapped state may have logged a refusal too: wait for a new one.
    const logsBefore = srv.logs.length;
    const traffic = load(srv, 2);
    const a = await newPair(srv.certDir);
    const b = await newPair(srv.certDir);
    writeFileSync(join(srv.certDir, 'tls.key'), b.key, { mode: 0o600 });
    writeFileSync(join(srv.certDir, 'tls.crt'), a.cert);
    await until('the refusal', () => srv.logs.slice(logsBefore).some((l) => l.msg === 'refused the new certificate pair; still serving the previous one' && /does not belong/.test(String(l.reason))));
    const countAfter = traffic.count;
    await until('more traffic', () => traffic.count > countAfter + 10);
    await traffic.stop();
    assert.deepEqual(traffic.failures, []);
    assert.equal(srv.ws.certs.current().fingerprint, kept);
    assert.deepEqual([...traffic.seen].map((f) => f.replaceAll(':', '').toLowerCase()), [kept.replaceAll(':', '').toLowerCase()]);
    const metrics = await request(srv.ws.server).get('/metrics').ca(srv.ca);
    const failures = Number(/flink_ha_webhook_certificate_reloads_total\{result="failure"\} (\d+)/.exec(metrics.text)?.[1]);
    assert.ok(failures > failuresBefore, `failure count ${failures} > ${failuresBefore}`);
    assert.equal(srv.logs.slice(logsBefore).find((l) => String(l.reason).includes('does not belong'))?.level, 50);
  });
});

describe('a mounted Secret: the ..data symlink swap', () => {
  it('is picked up while requests flow', async () => {
    // Lay the cert dir out as the kubelet does: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/
    const seed = mkdtempSync(join(tmpdir(), 'fhw-seed-'));
    await ensureDevCertificates({ dir: seed, certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' }, []);
    const secret = mkdtempSync(join(tmpdir(), 'fhw-secret-'));
    const version = (name: string, files: Record<string, string>) => {
      mkdirSync(join(secret, name));
      for (const [f, text] of Object.entries(files)) writeFileSync(join(secret, name, f), text);
    };
    version('..v1', Object.fromEntries(['tls.crt', 'tls.key', 'ca.crt', 'ca.key'].map((f) => [f, readFileSync(join(seed, f), 'utf8')])));
    symlinkSync('..v1', join(secret, '..data'));
    for (const f of ['tls.crt', 'tls.key', 'ca.crt', 'ca.key']) symlinkSync(join('..data', f), join(secret, f));
    const srv = await startTestServer({ config: { tls: { certDir: secret, reloadIntervalMs: 100 } } });
    try {
      const traffic = load(srv);
      await until('traffic', () => traffic.count > 10);
      const next = await newPair(secret);
      version('..v2', { 'tls.crt': next.cert, 'tls.key': next.key, 'ca.crt': readFileSync(join(seed, 'ca.crt'), 'utf8') });
      symlinkSync('..v2', join(secret, '..data_tmp'));
      renameSync(join(secret, '..data_tmp'), join(secret, '..data')); // the atomic swap
      await until('the new certificate on the wire', () => traffic.seen.has(fingerprintOf(next.cert)));
      await traffic.stop();
      assert.deepEqual(traffic.failures, []);
      assert.equal(srv.ws.certs.current().fingerprint, fingerprintOf(next.cert));
    } finally {
      await srv.close();
      rmSync(seed, { recursive: true, force: true });
      rmSync(secret, { recursive: true, force: true });
    }
  });
});
