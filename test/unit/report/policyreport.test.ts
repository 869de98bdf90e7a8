import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import yaml from 'js-yaml';
import { renderPolicyReports, toPolicyReports } from '../../../src/report/policyreport.ts';
import { sampleReport } from './sample-report.ts';

const now = new Date('2026-01-01T00:00:00Z');

describe('PolicyReport output', () => {
  const reports = toPolicyReports(sampleReport(), { now }) as Array<{ kind: string; metadata: { name: string; namespace?: string }; summary: Record<string, number>; results: Array<Record<string, unknown>> }>;

  it('makes one PolicyReport per namespace and one ClusterPolicyReport for cluster-scoped findings', () => {
    assert.deepEqual(
      reports.map((r) => `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`),
      ['PolicyReport/team-a/flink-ha-webhook', 'PolicyReport/team-b/flink-ha-webhook', 'PolicyReport/team-c/flink-ha-webhook', 'ClusterPolicyReport//flink-ha-webhook'],
    );
    for (const r of reports) assert.equal((r as unknown as { apiVersion: string }).apiVersion, 'wgpolicyk8s.io/v1alpha2');
  });

  // Each row: action → PolicyReport result.
  const table: Array<[string, string, string]> = [
    ['denied', 'team-a', 'fail'],
    ['mutated', 'team-a', 'warn'],
    ['passed', 'team-a', 'pass'],
    ['exempt', 'team-b', 'skip'],
    ['unchecked', 'team-b', 'skip'],
    ['error', 'team-c', 'error'],
    ['warned', 'team-c', 'warn'],
  ];
  for (const [action, namespace, result] of table) {
    it(`reports ${action} as ${result}`, () => {
      const r = reports.find((x) => x.metadata.namespace === namespace)!;
      const found = r.results.find((x) => (x.properties as Record<string, string>).action === action)!;
      assert.equal(found.result, result);
      assert.equal(found.policy, 'flink-ha');
      assert.equal(found.source, 'flink-ha-webhook');
    });
  }

  it('names the resource, the rule and the fix, and counts results in the summary', () => {
    const teamA = reports[0]!;
    assert.deepEqual(teamA.summary, { pass: 1, fail: 1, warn: 1, error: 0, skip: 0 });
    const denied = teamA.results[0]!;
    assert.equal(denied.rule, 'ha-storage-dir');
    assert.deepEqual(denied.resources, [{ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', name: 'orders', namespace: 'team-a' }]);
    assert.deepEqual(denied.timestamp, { seconds: 1767225600, nanos: 0 });
    assert.equal((denied.properties as Record<string, string>).fix, 'set high-availability.storageDir');
    assert.equal((denied.properties as Record<string, string>).file, 'test/fixtures/audit/team a/orders.yaml:3');
  });

  it('renders multi-document YAML that parses back to the same objects', () => {
    assert.deepEqual(yaml.loadAll(renderPolicyReports(sampleReport(), { now })), reports);
  });
});

/** The CRD schemas the API server would check the reports against (test/fixtures/audit/crds/), as Ajv validators. */
function crdValidators(file: string): Map<string, (doc: unknown) => string[]> {
  const list = yaml.load(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'audit', 'crds', file), 'utf8')) as { items: Array<{ spec: { group: string; names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> } }> };
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const out = new Map<string, (doc: unknown) => string[]>();
  for (const crd of list.items) {
    for (const v of crd.spec.versions) {
      const validate = ajv.compile(v.schema.openAPIV3Schema);
      out.set(`${crd.spec.group}/${v.name} ${crd.spec.names.kind}`, (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`)));
    }
  }
  return out;
}

describe('PolicyReport output in both report APIs, checked against their CRD schemas', () => {
  for (const [api, file, kinds] of [
    ['wgpolicyk8s', 'policyreport-crds.yaml', ['PolicyReport', 'ClusterPolicyReport']],
    ['openreports', 'openreports-crds.yaml', ['Report', 'ClusterReport']],
  ] as const) {
    it(`${api}: every report is valid for its CRD, with the same results`, () => {
      const validators = crdValidators(file);
      const docs = toPolicyReports(sampleReport(), { now, api }) as Array<{ apiVersion: string; kind: string; results: unknown[] }>;
      assert.deepEqual([...new Set(docs.map((d) => d.kind))], kinds);
      for (const doc of docs) {
        const validate = validators.get(`${doc.apiVersion} ${doc.kind}`);
        assert.ok(validate, `no CRD for ${doc.apiVersion} ${doc.kind}`);
        assert.deepEqual(validate(doc), []);
      }
      const results = (d: typeof docs) => d.flatMap((x) => x.results);
      assert.deepEqual(results(docs), results(toPolicyReports(sampleReport(), { now }) as typeof docs));
    });
  }

  it('openreports.io reports name their source once per report', () => {
    const [first] = toPolicyReports(sampleReport(), { now, api: 'openreports' }) as Array<{ apiVersion: string; source: string }>;
    assert.equal(first!.apiVersion, 'openreports.io/v1alpha1');
    assert.equal(first!.source, 'flink-ha-webhook');
  });

  it('a schema violation is caught (the validators are not vacuous)', () => {
    const validate = crdValidators('openreports-crds.yaml').get('openreports.io/v1alpha1 Report')!;
    assert.notDeepEqual(validate({ results: [{ result: 'maybe' }] }), []);
  });
});
