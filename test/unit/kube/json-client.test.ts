import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ensureDevCertificates } from '../../../src/server/certs.ts';
import { jsonClient } from '../../../src/kube/json-client.ts';

// A stand-in API server: pages of a list, a refusal, and what each request carried.
describe('the JSON client an audit lists and reviews through', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fhw-json-client-'));
  const seen: Array<{ method?: string; url?: string; authorization?: string; body: string }> = [];
  let connections = 0;
  let server: https.Server;
  let kc: KubeConfig;

  before(async () => {
    const files = { dir, certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' };
    await ensureDevCertificates(files, ['localhost', '127.0.0.1']);
    server = https.createServer({ cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) }, (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
        if (req.url?.startsWith('/api/v1/secrets')) {
          res.writeHead(403, { 'content-type': 'application/json' }).end('{"kind":"Status","code":403}');
          return;
        }
        const page = req.url?.includes('continue=') ? { items: [{ metadata: { name: 'b' } }], metadata: {} } : { items: [{ metadata: { name: 'ä' } }], metadata: { continue: 'tok' } };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.method === 'POST' ? { status: { allowed: true } } : page));
      });
    });
    server.on('secureConnection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`, caData: readFileSync(join(dir, 'ca.crt')).toString('base64') }],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });

  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads pages as the JSON sent, with the kubeconfig\'s credentials, over one kept-alive connection', async () => {
    const client = jsonClient(kc);
    assert.ok(client, 'an https cluster without a proxy gets the JSON client');
    try {
      const first = (await client.get('/api/v1/configmaps?limit=1')) as { items: unknown[]; metadata: { continue?: string } };
      const second = (await client.get(`/api/v1/configmaps?limit=1&continue=${first.metadata.continue}`)) as { items: unknown[] };
      const review = (await client.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { spec: { user: 'x' } })) as { status: { allowed: boolean } };
      assert.deepEqual([first.items, second.items], [[{ metadata: { name: 'ä' } }], [{ metadata: { name: 'b' } }]], 'the pages, multi-byte text intact');
      assert.equal(review.status.allowed, true, 'the review\'s answer');
      assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), [
        'GET /api/v1/configmaps?limit=1',
        'GET /api/v1/configmaps?limit=1&continue=tok',
        'POST /apis/authorization.k8s.io/v1/subjectaccessreviews',
      ], 'the paths under the server URL (its trailing slash dropped)');
      assert.ok(seen.every((s) => s.authorization === 'Bearer secret-token'), 'every request carries the token');
      assert.equal(seen[2]!.body, '{"spec":{"user":"x"}}', 'the review body as JSON');
      assert.equal(connections, 1, 'one TLS connection for all three requests');
    } finally {
      client.close();
    }
  });

  it('throws a refusal as client-node does: an error with the numeric status code and the body', async () => {
    const client = jsonClient(kc)!;
    try {
      await assert.rejects(client.get('/api/v1/secrets'), (err: { code?: unknown; body?: unknown }) => err.code === 403 && typeof err.body === 'string', 'a 403 with its code');
    } finally {
      client.close();
    }
  });

  it('leaves a cluster behind a proxy to client-node', () => {
    const proxied = new KubeConfig();
    proxied.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://example.invalid', proxyUrl: 'http://proxy.invalid:3128' }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    assert.equal(jsonClient(proxied), undefined, 'no JSON client behind a proxy');
  });
});
