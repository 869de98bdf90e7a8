// SubjectAccessReviews of Flink ServiceAccounts' ConfigMap rights, the bulk of a live audit's requests (6 per
// ServiceAccount), over one kept-alive connection. The questions themselves are in ./configmap-rights.ts.
import https from 'node:https';
import { AuthorizationV1Api, type KubeConfig, type V1SubjectAccessReview } from '@kubernetes/client-node';

/** Asks one SubjectAccessReview; throws like client-node (an error with a numeric `code`) on a non-2xx answer. */
export type Reviewer = { review: (body: object) => Promise<{ status?: { allowed?: boolean } }>; close: () => void };

/**
 * SubjectAccessReviews are most of an audit's requests (6 per ServiceAccount). client-node 1.x opens a new TCP+TLS
 * connection for every request and runs each body through its typed model pipeline; here they are plain JSON POSTs
 * over one kept-alive agent, with the TLS material and the Authorization header client-node's KubeConfig gives for
 * each request (so exec and OIDC tokens stay fresh). A cluster behind a proxy keeps client-node's own client.
 */
export function subjectAccessReviewer(kc: KubeConfig): Reviewer {
  const cluster = kc.getCurrentCluster()!;
  if (cluster.proxyUrl || !cluster.server.startsWith('https://')) {
    const api = kc.makeApiClient(AuthorizationV1Api);
    return { review: (body) => api.createSubjectAccessReview({ body: body as V1SubjectAccessReview }), close: () => undefined };
  }
  const url = new URL('/apis/authorization.k8s.io/v1/subjectaccessreviews', cluster.server);
  let agent: https.Agent | undefined;
  return {
    review: async (body) => {
      const opts: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      agent ??= new https.Agent({
        ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase,
        rejectUnauthorized: opts.rejectUnauthorized, servername: cluster.tlsServerName, keepAlive: true, maxSockets: 32,
      });
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v;
      if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = https.request(url, { method: 'POST', agent, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
      if (status < 200 || status > 299) throw Object.assign(new Error(`HTTP ${status}`), { code: status, body: text });
      return JSON.parse(text) as { status?: { allowed?: boolean } };
    },
    close: () => agent?.destroy(),
  };
}