// SIGTERM during load, on the real CLI in a child process: readiness fails first, every request sent is
// answered (in-flight ones and those during the drain), clients are refused only once the listener closes,
// no connection is reset under a request, and the process exits 0 within the deadline.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../support/free-port.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { admissionResponseOf, sampleReview } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DRAIN_MS = 1000;
const DEADLINE_MS = 8000;

/**
 * One review; says whether the TLS handshake had completed when it failed. A connection the server never
 * handshook (refused, or reset in the listen backlog as the listener closes) never reached the server; any
 * failure after the handshake is a request the server took and lost.
 */
function review(url: string, body: string, ca: Buffer, agent: https.Agent): Promise<{ status: number; text: string } | { error: string; accepted: boolean }> {
  return new Promise((resolve) => {
    let accepted = false;
    const req = https.request(url, { method: 'POST', ca, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', (err) => resolve({ error: err.message, accepted }));
    });
    req.on('socket', (socket: TLSSocket) => {
      if (!socket.connecting && socket.encrypted) accepted = true;
      else socket.once('secureConnect', () => { accepted = true; });
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, accepted }));
    req.end(body);
  });
}

describe('SIGTERM during load', () => {
  it('answers every request it accepted, then exits 0 within the deadline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fhw-sigterm-'));
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, `server:\n  drainDelayMs: ${DRAIN_MS}\n  shutdownDeadlineMs: ${DEADLINE_MS}\n`);
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/flink-ha-webhook.mjs', 'serve', '--host', '127.0.0.1', '--port', String(port), '--cert-dir', join(dir, 'certs'), '--config', configFile], {
      cwd: ROOT,
      env: { ...process.env, KUBERNETES_SERVICE_HOST: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    try {
      const listening = Date.now() + 30_000;
      while (!out.includes('"msg":"listening on')) {
        if (Date.now() > listening || child.exitCode !== null) throw new Error(`serve did not start:\n${out}`);
        await sleep(50);
      }
      const ca = readFileSync(join(dir, 'certs', 'ca.crt'));
      const url = `https://127.0.0.1:${port}`;
      const body = JSON.stringify(sampleReview('ha-configmap-delete'));

      let sigtermAt = Infinity;
      const outcomes: Array<{ ok: boolean; error?: string; accepted?: boolean; at: number }> = [];
      // Ten clients, each with its own keep-alive connection, sending back to back until the server is gone.
      const clients = Array.from({ length: 10 }, async () => {
        const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
        for (let i = 0; i < 100_000; i++) {
          const r = await review(`${url}/validate`, body, ca, agent);
          if ('error' in r) {
            outcomes.push({ ok: false, error: r.error, accepted: r.accepted, at: Date.now() });
            if (!r.accepted) break;
          } else {
            const res = admissionResponseOf({ status: r.status, headers: {}, body: r.text });
            outcomes.push({ ok: res.allowed === false, at: Date.now() });
          }
        }
        agent.destroy();
      });

      while (outcomes.length < 200) await sleep(10);
      sigtermAt = Date.now();
      child.kill('SIGTERM');
      await sleep(200);
      const ready = await new Promise<number>((resolve, reject) => {
        https.get(`${url}/readyz`, { ca, agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
      });
      assert.equal(ready, 503, 'readiness fails first, while the server still answers');

      await Promise.all(clients);
      const { code, at } = await exited;
      assert.equal(code, 0, out.slice(-2000));
      assert.ok(at - sigtermAt < DEADLINE_MS, `exited ${at - sigtermAt} ms after SIGTERM`);

      const failures = outcomes.filter((o) => !o.ok);
      const lost = failures.filter((o) => o.accepted !== false);
      assert.deepEqual(lost.map((o) => ({ ...o, at: o.at - sigtermAt })), [], 'no accepted request reset, hung up or answered wrongly');
      assert.equal(failures.length, 10, 'each client is turned away exactly once, when the listener closes');
      for (const f of failures) assert.ok(f.at - sigtermAt >= DRAIN_MS, `turned away only after the drain (${f.at - sigtermAt} ms: ${f.error})`);
      const duringDrain = outcomes.filter((o) => o.ok && o.at > sigtermAt).length;
      assert.ok(duringDrain > 0, 'requests after SIGTERM are still answered');
      assert.match(out, /"msg":"stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
