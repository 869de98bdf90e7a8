import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toSarif } from '../../../src/report/sarif.ts';
import { sampleReport } from './sample-report.ts';
import { sarifErrors } from './validators.ts';

type Result = { ruleId: string; ruleIndex: number; level: string; locations: Array<{ physicalLocation?: { artifactLocation: { uri: string }; region?: { startLine: number } }; logicalLocations: Array<{ fullyQualifiedName: string }> }>; suppressions?: unknown[] };

describe('SARIF report', () => {
  const sarif = toSarif(sampleReport(), { toolVersion: '0.1.0', baseDir: process.cwd() }) as { runs: Array<{ results: Result[]; tool: { driver: { rules: Array<{ id: string }> } } }> };
  const run = sarif.runs[0]!;

  it('validates against the SARIF 2.1.0 JSON schema', () => {
    assert.deepEqual(sarifErrors(sarif), []);
  });

  it('a report with no findings and no rules hit still validates', () => {
    const empty = toSarif({ ...sampleReport(), findings: [], errors: [] }, { toolVersion: '0.1.0' });
    assert.deepEqual(sarifErrors(empty), []);
  });

  it('maps actions to levels, worst first (cluster-wide before namespaces), and leaves passes out', () => {
    const levels = run.results.map((r) => `${r.ruleId}:${r.level}`);
    assert.deepEqual(levels, [
      'ha-storage-dir:error',
      'policy-error:error',
      'webhook-coverage:warning',
      'orphaned-ha-state:warning',
      'ha-enabled:warning',
      'ha-service-account:note',
      'ha-enabled:note',
    ]);
  });

  it('points manifest findings at file and line, cluster findings at a logical location', () => {
    const denied = run.results[0]!;
    assert.equal(denied.locations[0]!.physicalLocation!.artifactLocation.uri, 'test/fixtures/audit/team%20a/orders.yaml');
    assert.equal(denied.locations[0]!.physicalLocation!.region!.startLine, 3);
    const orphan = run.results.find((r) => r.ruleId === 'orphaned-ha-state')!;
    assert.equal(orphan.locations[0]!.physicalLocation, undefined);
    assert.equal(orphan.locations[0]!.logicalLocations[0]!.fullyQualifiedName, 'team-c/ConfigMap/old-cluster-config-map');
  });

  it('indexes each result into the rule list, and suppresses exempt findings in source', () => {
    for (const r of run.results) assert.equal(run.tool.driver.rules[r.ruleIndex]!.id, r.ruleId);
    const exempt = run.results.filter((r) => r.suppressions !== undefined);
    assert.equal(exempt.length, 1);
    assert.equal(exempt[0]!.level, 'note');
  });
});
