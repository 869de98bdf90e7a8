// The review log of the real CLI (createLogger: JSON lines on stdout, written in batches off the review path):
// under concurrent load every answered review has exactly one whole line with the documented fields, and the
// lines still buffered when the process stops reach stdout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../support/free-port.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { admissionResponseOf, sampleReview, type RawResponse } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIELDS = ['webhook', 'uid', 'kind', 'namespace', 'name', 'operation', 'user', 'dryRun', 'rules', 'decision', 'durationMs'];

function post(url: string, body: string, ca: Buffer, agent: https.Agent): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('serve logs every review once, whole', () => {
  it('one line per answered review under concurrent load, none lost at exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fhw-logs-'));
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/flink-ha-webhook.mjs', 'serve', '--host', '127.0.0.1', '--port', String(port), '--cert-dir', join(dir, 'certs')], {
      cwd: ROOT,
      env: { ...process.env, KUBERNETES_SERVICE_HOST: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('"msg":"listening on')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start:\n${out}`);
        await sleep(50);
      }
      const ca = readFileSync(join(dir, 'certs', 'ca.crt'));
      const url = `https://127.0.0.1:${port}`;
      const kinds = [['/mutate', 'pod-create'], ['/mutate', 'flinkdeployment-update'], ['/validate', 'ha-configmap-delete']] as const;
      const answered = new Map<string, { path: string; allowed: boolean }>();
      // Eight keep-alive clients, 40 reviews each, every review with its own uid.
      await Promise.all(Array.from({ length: 8 }, async (_, c) => {
        const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
        for (let i = 0; i < 40; i++) {
          const [path, fixture] = kinds[(c + i) % kinds.length]!;
          const review = sampleReview(fixture);
          review.request.uid = `log-test-${c}-${i}`;
          const res = admissionResponseOf(await post(`${url}${path}`, JSON.stringify(review), ca, agent));
          answered.set(res.uid, { path, allowed: res.allowed });
        }
        agent.destroy();
      }));
      // Stop at once (no drain): the last lines may still be batched when the process exits.
      child.kill('SIGINT');
      assert.equal(await exited, 0, out.slice(-2000));

      const lines = out.split('\n').filter((l) => l.includes('"msg":"admission review"'));
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(logged.length, answered.size, 'one line per answered review');
      assert.deepEqual(new Set(logged.map((l) => l.uid)), new Set(answered.keys()));
      for (const [i, line] of logged.entries()) {
        for (const f of FIELDS) assert.ok(f in line, `${f} in ${lines[i]}`);
        const a = answered.get(line.uid as string)!;
        assert.equal(line.webhook, a.path.slice(1));
        assert.equal(line.decision === 'denied', !a.allowed);
        // The process is named by `service`; `name` is the reviewed object's, and no key appears twice in a line.
        assert.ok(lines[i]!.startsWith('{"level":30,"time":') && lines[i]!.includes(',"service":"flink-ha-webhook",'), lines[i]);
        assert.equal(lines[i]!.split('"name":').length, 2, `one "name" key in ${lines[i]}`);
      }
      assert.match(out, /"msg":"stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
