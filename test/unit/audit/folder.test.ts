import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../../src/config/load.ts';
import { auditManifestSnapshot } from '../../../src/audit/run.ts';
import type { WebhookConfig } from '../../../src/config/types.ts';
import { manifestSnapshot, readManifests } from '../../../src/sources/manifests.ts';
import { toSarif } from '../../../src/report/sarif.ts';
import { renderJunit } from '../../../src/report/junit.ts';
import { junitErrors, sarifErrors } from '../report/validators.ts';

const fixtures = new URL('../../fixtures/audit/', import.meta.url).pathname;
const config = defaultConfig();

/** Reads and audits manifests as `audit FILE...` does. */
function auditManifests(options: { inputs: string[]; config: WebhookConfig; defaultNamespace?: string }) {
  const { snapshot, errors } = manifestSnapshot(readManifests(options.inputs), options.defaultNamespace ?? 'default');
  return auditManifestSnapshot(snapshot, options.inputs, errors, options.config);
}

describe('folder audit', () => {
  it('finds what only the set of files shows, each with rule, object, file and line', async () => {
    const report = await auditManifests({ inputs: [`${fixtures}upstream`, `${fixtures}cases`], config });
    const denied = report.findings
      .filter((f) => f.action === 'denied' && (f.rule === 'no-owner-reference' || f.rule === 'no-ha-data-strip' || (f.rule === 'cluster-id' && f.namespace === 'team-bi')))
      .map((f) => `${f.rule} ${f.kind} ${f.namespace}/${f.name} ${f.file!.slice(fixtures.length)}:${f.line}`)
      .sort();
    assert.deepEqual(denied, [
      'cluster-id Deployment team-bi/analytics-blue-jobmanager cases/shared-cluster-id.yaml:3',
      'cluster-id Deployment team-bi/analytics-green-jobmanager cases/shared-cluster-id.yaml:29',
      // An HA ConfigMap in a folder of manifests is a CREATE waiting to happen: only Flink may write HA state.
      'no-ha-data-strip ConfigMap team-pay/payments-cluster-config-map cases/ha-configmap-owned.yaml:3',
      'no-owner-reference ConfigMap team-pay/payments-cluster-config-map cases/ha-configmap-owned.yaml:3',
    ]);
  });

  it('reads every document of every file (YAML, JSON List), and reports the broken one by file and line', async () => {
    const report = await auditManifests({ inputs: [`${fixtures}upstream`, `${fixtures}cases`], config });
    // broken.yaml 1 + compliant-and-exempt.json 3 (its exception too) + ha-configmap-owned 1 + shared-cluster-id 2 + upstream 3.
    assert.equal(report.objects, 10);
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

describe('folder audit of the upstream manifests and the fixtures, with the real policy', () => {
  it('reports exactly these findings (rule, action, object, file:line); the rest passes', async () => {
    const report = await auditManifests({ inputs: [`${fixtures}upstream`, `${fixtures}cases`], config });
    const got = report.findings
      .filter((f) => f.action !== 'passed')
      .map((f) => `${f.rule} ${f.action} ${f.kind} ${f.namespace}/${f.name} ${f.file!.slice(fixtures.length)}:${f.line}`)
      .sort();
    const expected = [
      // upstream: the operator's basic example has no HA at all; its HA example lacks standbys; the Flink docs'
      // standalone session JobManager reads its HA settings from a ConfigMap that is not in the folder.
      'ha-storage-dir denied FlinkDeployment default/basic-example upstream/basic.yaml:19',
      'ha-enabled mutated FlinkDeployment default/basic-example upstream/basic.yaml:19',
      // ... and its job is stateless: HA on a stateless job meets FLINK-38049 (a warning, with the fix).
      'ha-enabled warned FlinkDeployment default/basic-example upstream/basic.yaml:19',
      'standby-jobmanagers mutated FlinkDeployment default/basic-example upstream/basic.yaml:19',
      'cluster-id unchecked FlinkDeployment default/basic-example upstream/basic.yaml:19',
      'ha-service-account unchecked FlinkDeployment default/basic-example upstream/basic.yaml:19',
      'standby-jobmanagers mutated FlinkDeployment default/basic-checkpoint-ha-example upstream/basic-checkpoint-ha.yaml:19',
      'cluster-id unchecked FlinkDeployment default/basic-checkpoint-ha-example upstream/basic-checkpoint-ha.yaml:19',
      'ha-service-account unchecked FlinkDeployment default/basic-checkpoint-ha-example upstream/basic-checkpoint-ha.yaml:19',
      'standby-jobmanagers mutated Deployment default/flink-jobmanager upstream/jobmanager-session-deployment-ha.yaml:4',
      'cluster-id unchecked Deployment default/flink-jobmanager upstream/jobmanager-session-deployment-ha.yaml:4',
      'cluster-id unchecked Deployment default/flink-jobmanager upstream/jobmanager-session-deployment-ha.yaml:4',
      'ha-enabled unchecked Deployment default/flink-jobmanager upstream/jobmanager-session-deployment-ha.yaml:4',
      'ha-namespace unchecked Deployment default/flink-jobmanager upstream/jobmanager-session-deployment-ha.yaml:4',
      'ha-service-account unchecked Deployment default/flink-jobmanager upstream/jobmanager-session-deployment-ha.yaml:4',
      'ha-storage-dir unchecked Deployment default/flink-jobmanager upstream/jobmanager-session-deployment-ha.yaml:4',
      // cases: an owned HA ConfigMap; two clusters sharing a cluster-id (the policy would also pin it, the
      // whole-set check sees the clash); a compliant FlinkDeployment (only what offline cannot check); an excepted one.
      'no-owner-reference denied ConfigMap team-pay/payments-cluster-config-map cases/ha-configmap-owned.yaml:3',
      'no-ha-data-strip denied ConfigMap team-pay/payments-cluster-config-map cases/ha-configmap-owned.yaml:3',
      'cluster-id denied Deployment team-bi/analytics-blue-jobmanager cases/shared-cluster-id.yaml:3',
      'cluster-id mutated Deployment team-bi/analytics-blue-jobmanager cases/shared-cluster-id.yaml:3',
      'ha-service-account unchecked Deployment team-bi/analytics-blue-jobmanager cases/shared-cluster-id.yaml:3',
      'cluster-id denied Deployment team-bi/analytics-green-jobmanager cases/shared-cluster-id.yaml:29',
      'cluster-id mutated Deployment team-bi/analytics-green-jobmanager cases/shared-cluster-id.yaml:29',
      'ha-service-account unchecked Deployment team-bi/analytics-green-jobmanager cases/shared-cluster-id.yaml:29',
      'cluster-id unchecked FlinkDeployment team-a/orders cases/compliant-and-exempt.json:1',
      'ha-service-account unchecked FlinkDeployment team-a/orders cases/compliant-and-exempt.json:1',
      'cluster-id exempt FlinkDeployment team-a/scratch cases/compliant-and-exempt.json:1',
      'ha-enabled exempt FlinkDeployment team-a/scratch cases/compliant-and-exempt.json:1',
      'ha-service-account exempt FlinkDeployment team-a/scratch cases/compliant-and-exempt.json:1',
      'ha-storage-dir exempt FlinkDeployment team-a/scratch cases/compliant-and-exempt.json:1',
      'standby-jobmanagers exempt FlinkDeployment team-a/scratch cases/compliant-and-exempt.json:1',
      // scratch is exempt by a FlinkHAException (it was by the retired label), which every review names.
      'flink-ha-exception warned FlinkDeployment team-a/scratch cases/compliant-and-exempt.json:1',
    ].sort();
    assert.deepEqual(got, expected);
  });

  it('renders them as SARIF that validates against the SARIF 2.1.0 schema, and JUnit that validates against the XSD', async () => {
    const report = await auditManifests({ inputs: [`${fixtures}upstream`, `${fixtures}cases`], config });
    const sarif = toSarif(report, { toolVersion: '0.1.0' }) as { runs: Array<{ results: Array<{ locations: Array<{ physicalLocation?: unknown }> }> }> };
    assert.deepEqual(sarifErrors(sarif), []);
    assert.equal(sarif.runs[0]!.results.every((r) => r.locations[0]!.physicalLocation !== undefined), true);
    assert.deepEqual(await junitErrors(renderJunit(report, { failOn: 'deny', timestamp: new Date(0).toISOString() })), []);
  });
});
