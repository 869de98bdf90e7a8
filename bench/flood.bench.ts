// The flood: 100 concurrent 7 MiB UPDATE reviews (the largest the API server sends), three waves, against the
// real `serve` with its default byte budget. Measures serve's peak RSS (VmHWM) and how many were answered 429.
// Target: peak RSS under the Deployment's memory limit (512Mi in manifests/base/deployment.yaml).
import { spawn } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../test/support/free-port.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDevCertificates } from '../src/server/certs.ts';
import type { BenchResult } from './index.ts';

const ROOT = join(import.meta.dirname, '..');
const CONCURRENT = 100;
const WAVES = 3;
const LIMIT_MB = 512;

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fhw-flood-'));
  const certDir = join(dir, 'certs');
  await ensureDevCertificates({ dir: certDir, certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' }, []);
  const ca = readFileSync(join(certDir, 'ca.crt'));
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/flink-ha-webhook.mjs', 'serve', '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir],
    { cwd: ROOT, env: { ...process.env, KUBERNETES_SERVICE_HOST: '', FLINK_HA_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `https://127.0.0.1:${port}/validate`;
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch { /* exited */ }
  }, 20);
  try {
    const review = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'reviews', 'ha-configmap-update.json'), 'utf8')) as { request: { object: { data: Record<string, string> } } };
    review.request.object.data.padding = 'x'.repeat(7 * 1024 * 1024 - JSON.stringify(review).length - 20);
    const body = Buffer.from(JSON.stringify(review));
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
      if ((await post(url, Buffer.from('{}'), ca).catch(() => 0)) === 400) break;
      if (i > 300) throw new Error('serve did not start');
      await sleep(100);
    }
    const statuses: number[] = [];
    const started = performance.now();
    for (let w = 0; w < WAVES; w++) {
      const agent = new https.Agent({ keepAlive: false, maxSockets: CONCURRENT });
      statuses.push(...(await Promise.all(Array.from({ length: CONCURRENT }, () => post(url, body, ca, agent).catch(() => -1)))));
      agent.destroy();
    }
    const seconds = (performance.now() - started) / 1000;
    const count = (s: number) => statuses.filter((x) => x === s).length;
    const peakMb = peakKb / 1024;
    return [
      { name: `serve peak RSS, ${WAVES} waves of ${CONCURRENT} concurrent 7 MiB reviews`, value: Math.round(peakMb), unit: 'MB', target: `< ${LIMIT_MB} MB (the Deployment's limit)`, met: peakMb < LIMIT_MB },
      { name: 'reviews answered 429 (over the byte budget)', value: count(429), unit: `of ${statuses.length}`, detail: { decided: count(200), failed: count(-1), seconds } },
      { name: 'reviews decided (200) during the flood', value: count(200), unit: `of ${statuses.length}`, target: 'no connection errors', met: count(-1) === 0 && count(200) + count(429) === statuses.length },
    ];
  } finally {
    clearInterval(poll);
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function post(url: string, body: Buffer, ca: Buffer, agent?: https.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, ...(agent ? { agent } : { agent: false }), headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

