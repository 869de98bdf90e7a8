import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../../src/config/load.ts';
import { auditManifests } from '../../../src/audit/run.ts';

const fixtures = new URL('../../fixtures/audit/', import.meta.url).pathname;
const config = defaultConfig();

describe('folder audit', () => {
  it('finds what only the set of files shows, each with rule, object, file and line', async () => {
    const report = await auditManifests({ inputs: [fixtures], config });
    const denied = report.findings
      .filter((f) => f.action === 'denied' && (f.rule === 'no-owner-reference' || (f.rule === 'cluster-id' && f.namespace === 'team-bi')))
      .map((f) => `${f.rule} ${f.kind} ${f.namespace}/${f.name} ${f.file!.slice(fixtures.length)}:${f.line}`)
      .sort();
    assert.deepEqual(denied, [
      'cluster-id Deployment team-bi/analytics-blue-jobmanager cases/shared-cluster-id.yaml:3',
      'cluster-id Deployment team-bi/analytics-green-jobmanager cases/shared-cluster-id.yaml:29',
      'no-owner-reference ConfigMap team-pay/payments-cluster-config-map cases/ha-configmap-owned.yaml:3',
    ]);
  });

  it('reads every document of every file (YAML, JSON List), and reports the broken one by file and line', async () => {
    const report = await auditManifests({ inputs: [fixtures], config });
    // broken.yaml 1 + compliant-and-exempt.json 2 + ha-configmap-owned 1 + shared-cluster-id 2 + upstream 3.
    assert.equal(report.objects, 9);
    assert.equal(report.errors.length, 1);
    assert.match(report.errors[0]!.where, /cases\/broken\.yaml:1[23]$/);
    assert.match(report.errors[0]!.message, /YAML syntax error/);
  });

  it('puts objects that name no namespace in the given default namespace', async () => {
    const report = await auditManifests({ inputs: [`${fixtures}upstream/basic.yaml`], config, defaultNamespace: 'team-z' });
    assert.equal(report.objects, 1);
    for (const f of report.findings) assert.equal(f.namespace, 'team-z');
  });
});
