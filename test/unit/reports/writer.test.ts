// The writer over a fake store: creates what is missing, rewrites only what changed (by the content hash), deletes
// ours that have nothing left to report, and keeps going past a write that fails.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildReports, HASH_ANNOTATION, type ReportObject } from '../../../src/reports/build.ts';
import { syncReports, type ReportStore, type StoredReport } from '../../../src/reports/writer.ts';
import type { AuditFinding } from '../../../src/audit/types.ts';

const finding = (namespace: string | undefined, name: string, action: AuditFinding['action'] = 'denied'): AuditFinding =>
  ({ rule: 'ha-enabled', action, kind: 'Deployment', name, namespace, message: `no HA on ${name}`, fix: 'set it' });

function fakeStore(): ReportStore & { stored: Map<string, ReportObject>; writes: string[] } {
  const stored = new Map<string, ReportObject>();
  const writes: string[] = [];
  const key = (kind: string, ns: string | undefined) => `${kind}/${ns ?? ''}`;
  return {
    stored,
    writes,
    list: (kind) => Promise.resolve([...stored.values()].filter((r) => r.kind === kind).map((r): StoredReport => ({
      kind: r.kind, name: r.metadata.name, namespace: r.metadata.namespace, hash: r.metadata.annotations[HASH_ANNOTATION], resourceVersion: '1',
    }))),
    create: (r) => {
      if (r.metadata.namespace === 'terminating') return Promise.reject(new Error('namespace terminating is being deleted'));
      writes.push(`create ${key(r.kind, r.metadata.namespace)}`);
      stored.set(key(r.kind, r.metadata.namespace), r);
      return Promise.resolve();
    },
    replace: (r) => {
      writes.push(`replace ${key(r.kind, r.metadata.namespace)}`);
      stored.set(key(r.kind, r.metadata.namespace), r);
      return Promise.resolve();
    },
    delete: (s) => {
      writes.push(`delete ${key(s.kind, s.namespace)}`);
      stored.delete(key(s.kind, s.namespace));
      return Promise.resolve();
    },
  };
}

describe('syncReports', () => {
  it('creates, then writes nothing while nothing changed, rewrites what changed, deletes what is clean', async () => {
    const store = fakeStore();
    const first = buildReports([finding('a', 'jm'), finding('b', 'jm'), finding(undefined, 'cluster-thing')], { maxResults: 10 });
    assert.deepEqual(await syncReports(first, store), { created: 3, updated: 0, deleted: 0, unchanged: 0, failed: [] }, 'first run creates');
    store.writes.length = 0;
    const same = await syncReports(buildReports([finding(undefined, 'cluster-thing'), finding('b', 'jm'), finding('a', 'jm')], { maxResults: 10 }), store);
    assert.deepEqual(same, { created: 0, updated: 0, deleted: 0, unchanged: 3, failed: [] }, 'same content, another order: no write');
    assert.deepEqual(store.writes, [], 'not one write');
    const changed = await syncReports(buildReports([finding('a', 'jm'), finding('a', 'tm'), finding('b', 'jm', 'passed')], { maxResults: 10 }), store);
    assert.deepEqual(changed, { created: 0, updated: 1, deleted: 2, unchanged: 0, failed: [] }, 'a changed, b clean, cluster clean');
    assert.deepEqual(store.writes.sort(), ['delete ClusterReport/', 'delete Report/b', 'replace Report/a']);
    assert.deepEqual([...store.stored.keys()], ['Report/a'], 'only the namespace with findings keeps a Report');
  });

  it('a write that fails is reported and the others still happen', async () => {
    const store = fakeStore();
    const result = await syncReports(buildReports([finding('terminating', 'jm'), finding('ok', 'jm')], { maxResults: 10 }), store);
    assert.equal(result.created, 1, 'the other namespace got its Report');
    assert.equal(result.failed.length, 1, 'one failure');
    assert.match(result.failed[0]!.reason, /being deleted/);
  });
});
