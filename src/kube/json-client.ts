// Plain JSON requests to the API server over one kept-alive agent, with the TLS material and the Authorization
// header client-node's KubeConfig gives for each request (so exec and OIDC tokens stay fresh). client-node 1.x opens a
// new TCP+TLS connection (and a new TLS context) for every request and runs every body through its typed model
// pipeline, then the audit turned the models back into wire JSON; a live audit's LIST pages and
// SubjectAccessReviews are plain JSON here. Undefined for a cluster behind a proxy: callers keep client-node there.
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface JsonClient {
  /** GET `path` (with its query); throws like client-node (an error with a numeric `code`) on a non-2xx answer. */
  get: (path: string) => Promise<unknown>;
  post: (path: string, body: object) => Promise<unknown>;
  close: () => void;
}

export function jsonClient(kc: KubeConfig): JsonClient | undefined {
  const cluster = kc.getCurrentCluster()!;
  if (cluster.proxyUrl || !cluster.server.startsWith('https://')) return undefined;
  let agent: https.Agent | undefined;
  const request = async (method: 'GET' | 'POST', path: string, body?: object): Promise<unknown> => {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    agent ??= new https.Agent({
      ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase,
      rejectUnauthorized: opts.rejectUnauthorized, servername: cluster.tlsServerName, keepAlive: true, maxSockets: 32,
    });
    const headers: Record<string, string> = { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) };
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    // The server's base path (a cluster served under a prefix) and the request's own path and query.
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = https.request(url, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
    if (status < 200 || status > 299) throw Object.assign(new Error(`HTTP ${status}`), { code: status, body: text });
    return JSON.parse(text) as unknown;
  };
  return {
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    close: () => agent?.destroy(),
  };
}
