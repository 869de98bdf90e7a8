// The `serve` process's server: node:https with the checked serving pair (hot-reloaded), the admission hot path
// dispatched ahead of express, readiness, and a graceful shutdown that drains before it closes.
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { WebhookConfig } from '../config/types.ts';
import type { ClusterView } from '../policy/types.ts';
import { admissionRoute, MAX_BODY_BYTES, type AdmissionDeps } from './admission-route.ts';
import { BodyBudget, BodyRateWatch } from './body-budget.ts';
import { readFileSync } from 'node:fs';
import { createApp } from './app.ts';
import { startCertReloader, type CertReloader } from './cert-reloader.ts';
import { ensureDevCertificates, pathsOf } from './certs.ts';
import { trackConnections } from './connections.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { registerClusterViewMetrics } from './metrics-cluster.ts';
import type { ApiClusterView } from '../kube/api-cluster-view.ts';
import { ReplyBatch } from './reply-batch.ts';
import { ReviewStage } from './review-stage.ts';

/**
 * TLS 1.2+ with AEAD suites only (ECDHE key exchange; GCM or ChaCha20-Poly1305). TLS 1.3 suites are all AEAD.
 * The API server's Go client offers these first.
 */
const TLS_SETTINGS = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const;
/** On shutdown, a connection idle this long is closed; a fresh one gets this long to send its first request. */
const SHUTDOWN_IDLE_MS = 1000;

export interface WebhookServerOptions {
  config: WebhookConfig;
  cluster: ClusterView;
  logger: Logger;
  metrics?: Metrics;
  decide?: AdmissionDeps['decide'];
  /** See AdmissionDeps.onAllowed. */
  onAllowed?: () => void;
}

export interface WebhookServer {
  server: https.Server;
  metrics: Metrics;
  certs: CertReloader;
  /** The CA bundle a client (the API server's caBundle) must trust. */
  caPath: string;
  /** The review bytes held now, and by whom. */
  budget: BodyBudget;
  port: number;
  /** Fails readiness, drains, closes; resolves when every connection is closed (or the deadline passed). */
  shutdown(options?: { drain?: boolean }): Promise<void>;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { config, logger } = options;
  const metrics = options.metrics ?? createMetrics();
  if ('stats' in options.cluster) registerClusterViewMetrics(metrics.registry, options.cluster as ApiClusterView);
  const files = { dir: config.tls.certDir, ...config.tls };
  const paths = pathsOf(files);
  const { generated } = await ensureDevCertificates(files, config.server.serviceDnsNames);
  if (generated) logger.info({ certDir: config.tls.certDir, caBundle: paths.ca }, 'no serving certificate found: generated a development CA and serving certificate');

  // The client CA: read once; the server then asks every client for a certificate, verified against it. Not
  // refused at the handshake (rejectUnauthorized false): the kubelet's probes and Prometheus carry no client
  // certificate, and the admission routes refuse unverified clients themselves (admission-route.ts).
  const clientCa = config.tls.clientCaFile === '' ? undefined : readClientCa(config.tls.clientCaFile);
  const clientAuth = clientCa === undefined ? {} : { ca: clientCa, requestCert: true, rejectUnauthorized: false };
  if (clientCa !== undefined) logger.info({ clientCaFile: config.tls.clientCaFile, require: config.tls.requireClientCert }, 'client certificates are verified; /mutate and /validate answer only the API server\'s');
  const certs = startCertReloader({
    certPath: paths.cert,
    keyPath: paths.key,
    intervalMs: config.tls.reloadIntervalMs,
    // The timer first fires after `server` below exists.
    apply: (pair) => server.setSecureContext({ cert: pair.cert, key: pair.key, ...TLS_SETTINGS, ...(clientCa === undefined ? {} : { ca: clientCa }) }),
    logger,
    metrics,
  });
  let shuttingDown = false;
  const budget = new BodyBudget(config.server.maxInflightBodyBytes, config.server.maxInflightBodyBytesPerPeer, MAX_BODY_BYTES);
  const rate = new BodyRateWatch(config.server.minBodyBytesPerSecond, config.server.bodyRateGraceMs);
  const replies = new ReplyBatch();
  const stage = new ReviewStage(() => replies.flush());
  const deps: AdmissionDeps = { config, budget, rate, ...(clientCa === undefined ? {} : { clientAuth: { require: config.tls.requireClientCert } }), cluster: options.cluster, logger, metrics, stage, replies, ...(options.decide ? { decide: options.decide } : {}), ...(options.onAllowed ? { onAllowed: options.onAllowed } : {}) };
  const mutate = admissionRoute('mutate', deps);
  const validate = admissionRoute('validate', deps);
  const app = createApp({ metrics, notReadyReason: () => (shuttingDown ? 'shutting down' : undefined) });

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    connections.onRequest(req, res); // declared below with the server; requests only come after
    // While draining, every answer retires its connection, so clients reconnect to a pod that stays.
    if (shuttingDown) res.setHeader('connection', 'close');
    if (req.method === 'POST') {
      const url = req.url ?? '';
      const q = url.indexOf('?'); // the API server appends ?timeout=5s
      const path = q < 0 ? url : url.slice(0, q);
      if (path === '/mutate') return mutate(req, res);
      if (path === '/validate') return validate(req, res);
    }
    void app(req, res);
  };

  const pair = certs.current();
  // node requires the request timeout to be at least the headers timeout.
  const requestTimeout = Math.max(config.server.requestTimeoutMs, config.server.headersTimeoutMs);
  const server = https.createServer(
    {
      cert: pair.cert,
      key: pair.key,
      ...TLS_SETTINGS,
      ...clientAuth,
      handshakeTimeout: config.server.tlsHandshakeTimeoutMs,
      keepAliveTimeout: config.server.keepAliveTimeoutMs,
      headersTimeout: config.server.headersTimeoutMs,
      requestTimeout,
    },
    onRequest,
  );
  // Set explicitly as well: these are what the API server's HTTP/1.1 keep-alive client meets.
  server.keepAliveTimeout = config.server.keepAliveTimeoutMs;
  server.headersTimeout = config.server.headersTimeoutMs;
  server.requestTimeout = requestTimeout;
  const connections = trackConnections(server);
  server.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'TLS handshake failed (does the client trust the CA bundle?)'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const shutdown = (opts: { drain?: boolean } = {}): Promise<void> => {
    closing ??= (async () => {
      const startedAt = Date.now();
      const deadline = config.server.shutdownDeadlineMs;
      shuttingDown = true;
      const drainMs = opts.drain === false ? 0 : Math.min(config.server.drainDelayMs, Math.floor(deadline / 2));
      logger.info({ drainMs, deadlineMs: deadline }, 'shutting down: readiness fails now; still answering while endpoints drop this pod');
      if (drainMs > 0) await sleep(drainMs);
      certs.stop();
      // Stop accepting (net.Server's close: https.Server's would also destroy every idle connection at once).
      const closed = new Promise<void>((resolve) => tls.Server.prototype.close.call(server, () => resolve()));
      const end = startedAt + deadline;
      while (connections.closeIdle(SHUTDOWN_IDLE_MS) > 0 && Date.now() < end) await sleep(Math.min(50, Math.max(1, end - Date.now())));
      if (connections.size() > 0) {
        logger.warn({ open: connections.size() }, 'shutdown deadline reached: closing the connections still open');
        connections.closeAll();
      }
      await closed;
      logger.info({ ms: Date.now() - startedAt }, 'stopped');
    })();
    return closing;
  };

  return { server, metrics, certs, caPath: paths.ca, budget, port, shutdown };
}

function readClientCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`tls.clientCaFile ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
}
