// Test harness for the HTTP tests: the real server object on 127.0.0.1 with a fresh dev CA in a temp dir,
// a silent (or captured) logger, and a small HTTPS client for what supertest cannot do (raw bytes, keep-alive).
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { AdmissionResponse } from '../../src/admission/types.ts';
import { defaultConfig } from '../../src/config/load.ts';
import type { WebhookConfig } from '../../src/config/types.ts';
import { OFFLINE_CLUSTER, type ClusterView } from '../../src/policy/types.ts';
import { startWebhookServer, type WebhookServer, type WebhookServerOptions } from '../../src/server/server.ts';

export const REVIEWS_DIR = join(import.meta.dirname, '..', 'fixtures', 'reviews');

/** Free-form JSON that the tests read and edit (what JSON.parse gives). */
export type Json = ReturnType<typeof JSON.parse>;

/** A sample review from test/fixtures/reviews (see scripts/make-sample-reviews.py). */
export function sampleReview(name: string): Json {
  const review: Json = JSON.parse(readFileSync(join(REVIEWS_DIR, `${name}.json`), 'utf8'));
  return review;
}

export interface TestServer {
  ws: WebhookServer;
  config: WebhookConfig;
  ca: Buffer;
  certDir: string;
  url: string;
  /** Every log line the server wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startTestServer(
  options: { config?: Record<string, unknown>; cluster?: ClusterView; decide?: WebhookServerOptions['decide'] } = {},
): Promise<TestServer> {
  const certDir = mkdtempSync(join(tmpdir(), 'fhw-http-'));
  const config = defaultConfig({ ...options.config, tls: { certDir, reloadIntervalMs: 60_000, ...(options.config?.tls as object) } });
  config.server.host = '127.0.0.1';
  config.server.port = 0; // any free port (the schema asks 1-65535 of users)
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const ws = await startWebhookServer({ config, cluster: options.cluster ?? OFFLINE_CLUSTER, logger, ...(options.decide ? { decide: options.decide } : {}) });
  return {
    ws,
    config,
    ca: readFileSync(ws.caPath),
    certDir,
    url: `https://127.0.0.1:${ws.port}`,
    logs,
    async close() {
      await ws.shutdown({ drain: false });
      rmSync(certDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POSTs bytes as they are; resolves with the answer, rejects on a connection error. */
export function postRaw(
  url: string,
  body: Buffer | string,
  options: { ca: Buffer; agent?: https.Agent; contentType?: string | null } ,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) };
    if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
    const req = https.request(url, { method: 'POST', ca: options.ca, headers, ...(options.agent ? { agent: options.agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Checks the shape every 200 answer must have, and returns its response. */
export function admissionResponseOf(raw: RawResponse, uid?: string): AdmissionResponse {
  if (raw.status !== 200) throw new Error(`expected 200, got ${raw.status}: ${raw.body}`);
  const review = JSON.parse(raw.body);
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') throw new Error(`not an AdmissionReview v1: ${raw.body}`);
  const r: Json = review.response;
  if (typeof r?.uid !== 'string' || typeof r.allowed !== 'boolean') throw new Error(`malformed response: ${raw.body}`);
  if (uid !== undefined && r.uid !== uid) throw new Error(`uid ${r.uid} does not echo ${uid}`);
  if ((r.patch === undefined) !== (r.patchType === undefined)) throw new Error(`patch without patchType (or the reverse): ${raw.body}`);
  if (!r.allowed && typeof r.status?.message !== 'string') throw new Error(`a denial without a message: ${raw.body}`);
  return r as AdmissionResponse;
}
