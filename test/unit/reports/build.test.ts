// The Reports the background audit keeps: a table of findings in, Report objects out. Bounded (results capped, the
// summary still true, the left-out count said), one per namespace with something to report, none for a clean one,
// and a content hash that does not move when the same findings come in another order (so nothing is rewritten).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildReports, HASH_ANNOTATION, MAX_TEXT, OMITTED_ANNOTATION, REPORTS_API_VERSION, type ReportObject } from '../../../src/reports/build.ts';
import type { AuditAction, AuditFinding } from '../../../src/audit/types.ts';

const f = (namespace: string | undefined, name: string, rule: AuditFinding['rule'], action: AuditAction, extra: Partial<AuditFinding> = {}): AuditFinding => ({
  rule, action, kind: 'Deployment', apiVersion: 'apps/v1', name, ...(namespace === undefined ? {} : { namespace }),
  message: `${rule} ${action} on ${name}`, fix: `fix ${name}`, ...extra,
});

/** A deterministic shuffle (no Math.random in a test table). */
const shuffled = <T>(xs: T[], seed: number): T[] => {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

const sizeOf = (r: ReportObject) => Buffer.byteLength(JSON.stringify(r));

describe('buildReports', () => {
  const rows: Array<{ name: string; findings: AuditFinding[]; maxResults: number; expect: (b: ReturnType<typeof buildReports>) => void }> = [
    {
      name: 'no findings: no Report at all',
      findings: [],
      maxResults: 10,
      expect: (b) => {
        assert.deepEqual(b.namespaced, [], 'nothing to report, no Report');
        assert.equal(b.cluster, undefined, 'no ClusterReport');
      },
    },
    {
      name: 'a namespace with only passes has nothing left to report: no Report (the writer deletes an old one)',
      findings: [f('clean', 'jm', 'ha-enabled', 'passed'), f('clean', 'tm', 'ha-enabled', 'passed')],
      maxResults: 10,
      expect: (b) => assert.deepEqual(b.namespaced, [], 'passes alone make no Report'),
    },
    {
      name: 'one Report per namespace, in name order; passes counted, not listed; cluster-wide findings in the ClusterReport',
      findings: [
        f('b-ns', 'jm', 'ha-enabled', 'mutated'),
        f('a-ns', 'cm', 'orphaned-ha-state', 'warned', { kind: 'ConfigMap', apiVersion: 'v1' }),
        f('a-ns', 'jm', 'ha-enabled', 'passed'),
        f(undefined, 'flink-ha-webhook', 'webhook-coverage', 'warned', { kind: 'ValidatingWebhookConfiguration' }),
      ],
      maxResults: 10,
      expect: (b) => {
        assert.deepEqual(b.namespaced.map((r) => r.metadata.namespace), ['a-ns', 'b-ns'], 'namespaces in code-point order');
        const a = b.namespaced[0]!;
        assert.equal(a.apiVersion, REPORTS_API_VERSION);
        assert.equal(a.kind, 'Report');
        assert.deepEqual(a.summary, { pass: 1, fail: 0, warn: 1, error: 0, skip: 0 }, 'the pass is counted');
        assert.deepEqual(a.results.map((r) => r.rule), ['orphaned-ha-state'], 'only what needs attention is listed');
        assert.deepEqual(a.results[0]!.resources, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', namespace: 'a-ns' }]);
        assert.equal(a.results[0]!.properties.fix, 'fix cm', 'every result says how to fix it');
        assert.deepEqual(a.configuration.limits.statusFilter, ['fail', 'warn', 'error', 'skip'], 'says passes are left out');
        assert.equal(b.cluster?.kind, 'ClusterReport');
        assert.equal(b.cluster?.metadata.namespace, undefined, 'cluster-scoped');
        assert.deepEqual(b.cluster?.results.map((r) => r.rule), ['webhook-coverage']);
      },
    },
    {
      name: 'bounded: at most maxResults results, worst first; the summary counts all; the omitted count is said',
      findings: [
        ...Array.from({ length: 30 }, (_, i) => f('big', `warn-${String(i).padStart(2, '0')}`, 'ha-enabled', 'mutated')),
        ...Array.from({ length: 5 }, (_, i) => f('big', `deny-${i}`, 'ha-storage-dir', 'denied')),
        f('big', 'exempt', 'ha-enabled', 'exempt'),
      ],
      maxResults: 10,
      expect: (b) => {
        const r = b.namespaced[0]!;
        assert.equal(r.results.length, 10, 'capped at maxResults');
        assert.deepEqual(r.results.slice(0, 5).map((x) => x.result), ['fail', 'fail', 'fail', 'fail', 'fail'], 'denials first');
        assert.deepEqual(r.summary, { pass: 0, fail: 5, warn: 30, error: 0, skip: 1 }, 'the summary stays true');
        assert.equal(r.metadata.annotations[OMITTED_ANNOTATION], '26', '36 listed findings, 10 kept');
        assert.equal(r.configuration.limits.maxResults, 10);
      },
    },
    {
      name: 'long messages are cut: one result stays a few KiB whatever a finding says',
      findings: [f('ns', 'jm', 'ha-enabled', 'denied', { message: 'x'.repeat(10_000), fix: 'y'.repeat(10_000) })],
      maxResults: 10,
      expect: (b) => {
        const r = b.namespaced[0]!.results[0]!;
        assert.equal(r.message.length, MAX_TEXT, 'message cut');
        assert.equal(r.properties.fix!.length, MAX_TEXT, 'fix cut');
      },
    },
    {
      name: 'one finding said twice is one result',
      findings: [f('ns', 'jm', 'ha-enabled', 'denied'), f('ns', 'jm', 'ha-enabled', 'denied')],
      maxResults: 10,
      expect: (b) => assert.equal(b.namespaced[0]!.results.length, 1, 'deduplicated'),
    },
  ];
  for (const row of rows) it(row.name, () => row.expect(buildReports(row.findings, { maxResults: row.maxResults })));

  it('the same findings in any order give identical Reports and hashes (nothing to rewrite)', () => {
    const findings = Array.from({ length: 60 }, (_, i) => f(`ns-${i % 4}`, `w-${i}`, i % 3 ? 'ha-enabled' : 'orphaned-ha-state', (['denied', 'warned', 'mutated', 'exempt'] as const)[i % 4]!));
    const first = buildReports(findings, { maxResults: 7 });
    for (const seed of [1, 2, 3]) {
      assert.deepEqual(buildReports(shuffled(findings, seed), { maxResults: 7 }), first, `shuffle ${seed}: same objects`);
    }
    const changed = buildReports([...findings.slice(1)], { maxResults: 7 });
    const hashes = (b: ReturnType<typeof buildReports>) => b.namespaced.map((r) => r.metadata.annotations[HASH_ANNOTATION]);
    assert.notDeepEqual(hashes(changed), hashes(first), 'a finding less changes a hash');
  });

  it('size is bounded by maxResults, not by the number of findings', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => f('ns', `w-${i}`, 'ha-enabled', 'denied', { message: 'm'.repeat(2000), fix: 'f'.repeat(2000) }));
    const small = sizeOf(buildReports(many(100), { maxResults: 100 }).namespaced[0]!);
    const large = sizeOf(buildReports(many(10_000), { maxResults: 100 }).namespaced[0]!);
    assert.ok(large - small < 1024, `10,000 findings weigh what 100 do (${small} vs ${large} bytes)`);
    assert.ok(large < 300 * 1024, `100 worst-case results stay under 300 KiB (${large} bytes)`);
  });

  it('refuses a bound that is not a positive integer', () => {
    assert.throws(() => buildReports([], { maxResults: 0 }), /maxResults/);
  });
});
