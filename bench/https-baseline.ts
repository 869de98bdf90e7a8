// Baseline servers for bench/admission.bench.ts, run as a child process so that they do not share an event loop
// with the load generator: `bare` is node:https answering a fixed AdmissionReview (the ceiling); `express-json`
// and `express-raw` show what express's router, body parser and res.json cost on the same handler.
// Usage: node --import tsx bench/https-baseline.ts <bare|express-raw|express-json> <port> <certDir>
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';

const [mode = 'bare', port = '0', certDir = 'certs'] = process.argv.slice(2);
const answerFor = (uid: string) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } });

/** The least a webhook can do: read the review, echo its uid in a fixed "allowed" answer. */
function bare(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request?: { uid?: string } };
    const body = JSON.stringify(answerFor(review.request?.uid ?? ''));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

function handler(): (req: IncomingMessage, res: ServerResponse) => void {
  if (mode === 'bare') return bare;
  const app = express();
  if (mode === 'express-raw') {
    app.post(['/mutate', '/validate'], (req, res) => bare(req, res));
  } else {
    app.use(express.json({ limit: '7mb' }));
    app.post(['/mutate', '/validate'], (req, res) => {
      res.json(answerFor((req.body as { request?: { uid?: string } }).request?.uid ?? ''));
    });
  }
  return app;
}

const server = https.createServer({ cert: readFileSync(join(certDir, 'tls.crt')), key: readFileSync(join(certDir, 'tls.key')), minVersion: 'TLSv1.2' }, handler());
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`listening ${JSON.stringify(server.address())}\n`);
});
process.on('SIGTERM', () => process.exit(0));
