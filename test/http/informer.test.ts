// The generic informer (src/kube/informer.ts) against a fake API server: synced only once listed and watching; a
// failed watch makes it unsynced, and it resumes from its resourceVersion (no relist) and is synced again; objects
// are projected as they arrive, from the LIST and from watch events alike.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { startInformer, type Informer } from '../../src/kube/informer.ts';
import { ensureDevCertificates } from '../../src/server/certs.ts';

const sa = (name: string, rv: string) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'ns', resourceVersion: rv, labels: { big: 'x'.repeat(100) } } });

describe('startInformer against a fake API server', () => {
  let server: https.Server;
  let dir: string;
  let kc: KubeConfig;
  const requests: string[] = [];
  let failNextWatch = true;
  const streams: ServerResponse[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fhw-informer-'));
    await ensureDevCertificates({ dir, certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' }, []);
    server = https.createServer({ cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      requests.push(`${url.pathname}?${url.searchParams.get('watch') ? `watch&rv=${url.searchParams.get('resourceVersion')}` : 'list'}`);
      if (!url.searchParams.get('watch')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccountList', metadata: { resourceVersion: '10' }, items: [sa('flink', '5')] }));
        return;
      }
      if (failNextWatch) {
        failNextWatch = false;
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"kind":"Status","code":500}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('');
      streams.push(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: `https://127.0.0.1:${(server.address() as { port: number }).port}`, caData: readFileSync(join(dir, 'ca.crt')).toString('base64') }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
      currentContext: 'fake',
    });
  });
  after(() => {
    for (const s of streams) s.end();
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is synced only while listed and watching; resumes a failed watch from its resourceVersion; projects every object', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const errors: number[] = [];
    const informer: Informer<KubernetesObject> = startInformer(kc, {
      name: 'serviceaccounts', path: '/api/v1/serviceaccounts', list: () => core.listServiceAccountForAllNamespaces(), backoffMs: 50,
      project: (o) => ({ metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace, resourceVersion: o.metadata?.resourceVersion } }),
      onError: (_name, _err, attempt) => errors.push(attempt),
    });
    assert.equal(informer.synced(), false, 'not synced before anything arrived');
    informer.start();
    await waitFor(() => errors.length > 0, 'the first watch fails (500)');
    assert.equal(informer.synced(), false, 'a failed watch is not synced');
    assert.deepEqual(informer.get('ns', 'flink')?.metadata, { name: 'flink', namespace: 'ns', resourceVersion: '5' }, 'the LIST is kept, projected');
    await waitFor(() => informer.synced(), 'synced again once the watch is back');
    assert.deepEqual(requests.filter((r) => r.includes('list') || r.includes('watch')), ['/api/v1/serviceaccounts?list', '/api/v1/serviceaccounts?watch&rv=10', '/api/v1/serviceaccounts?watch&rv=10'],
      'one LIST; the watch resumed from the LIST\'s resourceVersion, no relist');
    streams.at(-1)!.write(`${JSON.stringify({ type: 'ADDED', object: sa('late', '11') })}\n`);
    await waitFor(() => informer.get('ns', 'late') !== undefined, 'a watch event reaches the cache');
    assert.deepEqual(informer.get('ns', 'late')?.metadata, { name: 'late', namespace: 'ns', resourceVersion: '11' }, 'watch events are projected too');
    assert.equal(informer.size(), 2);
    await informer.stop();
    assert.equal(informer.synced(), false, 'a stopped informer is not synced');
  });
});

async function waitFor(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
