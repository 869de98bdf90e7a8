// Every Flink resource the operator serves: canaries left alone (and said so), FlinkBlueGreenDeployment made
// HA-safe in its template while the FlinkDeployments derived from it are left to the operator, and FlinkSessionJob
// checked against its session cluster. Fixtures: test/fixtures/operator/ (see its README for their sources).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import jsonPatch from 'fast-json-patch';
import { defaultConfig } from '../../../src/config/load.ts';
import { judgeSnapshot } from '../../../src/snapshot/judge.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';
import { runCli } from '../../support/cli.ts';

const OPERATOR = join(import.meta.dirname, '..', '..', 'fixtures', 'operator');
const ENV = { FLINK_HA_STORAGE_DIR_TEMPLATE: 's3://flink-ha/{namespace}/{clusterId}' };

interface Result { kind: string; name: string; allowed: boolean; patch: jsonPatch.Operation[]; object: KubeObject; findings: Array<{ rule: string; action: string; message: string }> }
async function dryRun(file: string): Promise<{ code: number | null; results: Result[] }> {
  const r = await runCli(['dry-run', join(OPERATOR, file), '-o', 'json'], { env: ENV });
  return { code: r.code, results: JSON.parse(r.stdout) as Result[] };
}
const byName = (results: Result[], kind: string, name: string) => results.find((r) => r.kind === kind && r.name === name)!;

describe('the Flink operator\'s own resources', () => {
  it('canaries (flink.apache.org/canary: "true", no spec) are left alone with an exempt finding, not denied as unreadable', async () => {
    const { code, results } = await dryRun('canary.yaml');
    assert.equal(code, 0);
    assert.deepEqual(results.map((r) => `${r.kind}/${r.name}`), ['FlinkDeployment/canary', 'FlinkSessionJob/canary']);
    for (const r of results) {
      assert.equal(r.allowed, true);
      assert.deepEqual(r.patch, []);
      assert.deepEqual(r.findings.map((f) => `${f.rule} ${f.action}`), ['ha-enabled exempt']);
      assert.match(r.findings[0]!.message, /canary .* of the Flink Kubernetes Operator/);
    }
    const audit = await runCli(['audit', join(OPERATOR, 'canary.yaml'), '-o', 'json'], { env: ENV });
    assert.equal(audit.code, 0, audit.stderr);
    assert.ok((JSON.parse(audit.stdout) as { findings: Array<{ action: string }> }).findings.every((f) => f.action === 'exempt'), `audit exempts every operator canary finding: ${audit.stdout}`);
  });

  it('a FlinkBlueGreenDeployment gets HA in spec.template.spec; the FlinkDeployment derived from it is left to the operator', async () => {
    const { code, results } = await dryRun('bluegreen.yaml');
    assert.equal(code, 0);
    const bg = byName(results, 'FlinkBlueGreenDeployment', 'orders');
    // The patch, applied to the manifest as written, gives the object dry-run shows.
    const written = (yaml.loadAll(readFileSync(join(OPERATOR, 'bluegreen.yaml'), 'utf8')) as KubeObject[])[0]!;
    assert.deepEqual(jsonPatch.applyPatch(structuredClone(written), bg.patch).newDocument, bg.object);
    const spec = bg.object.spec as { template: { spec: { flinkConfiguration: Record<string, string>; jobManager: { replicas: number }; serviceAccount: string } } };
    assert.equal(spec.template.spec.flinkConfiguration['high-availability.type'], 'kubernetes');
    assert.equal(spec.template.spec.flinkConfiguration['high-availability.storageDir'], 's3://flink-ha/streaming/orders');
    assert.equal(spec.template.spec.jobManager.replicas, 2);
    assert.equal(spec.template.spec.serviceAccount, 'flink');
    assert.ok(bg.patch.every((op) => op.path.startsWith('/spec/template/spec/')), JSON.stringify(bg.patch));
    const blue = byName(results, 'FlinkDeployment', 'orders-blue');
    assert.deepEqual(blue.patch, []);
    assert.deepEqual(blue.findings.map((f) => `${f.rule} ${f.action}`), ['ha-enabled exempt']);
    assert.match(blue.findings[0]!.message, /derived by FlinkBlueGreenDeployment orders/);
  });

  it('a FlinkBlueGreenDeployment whose template is of the wrong type is a finding with the path', async () => {
    const bad = JSON.stringify({ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkBlueGreenDeployment', metadata: { name: 'x' }, spec: { template: { spec: { flinkConfiguration: ['a'] } } } });
    const r = await runCli(['dry-run', '-', '-o', 'json'], { stdin: bad, env: ENV });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /spec\.template\.spec\.flinkConfiguration must be a map; found a list/);
  });

  it('a FlinkSessionJob is checked against its session cluster, as the webhook would have stored it', async () => {
    const { results } = await dryRun('session-without-ha.yaml');
    const job = byName(results, 'FlinkSessionJob', 'basic-session-job-example');
    assert.deepEqual(job.patch, [], 'a session job is never mutated');
    assert.deepEqual(job.findings.map((f) => `${f.rule} ${f.action}`), ['ha-enabled passed']);
    assert.match(job.findings[0]!.message, /runs in session cluster basic-session-deployment-only-example, which has HA on/);
    const orphan = byName(results, 'FlinkSessionJob', 'job-without-cluster');
    assert.deepEqual(orphan.findings.map((f) => `${f.rule} ${f.action}`), ['ha-enabled unchecked'], 'a folder does not prove the cluster is absent');
  });

  it('in a complete (live) snapshot, a session cluster without HA or one that does not exist is warned about', async () => {
    const config = defaultConfig();
    const fd = (name: string, conf: Record<string, string>): KubeObject => ({ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name, namespace: 'ns' }, spec: { image: 'flink:2.2', flinkConfiguration: conf, serviceAccount: 'flink', jobManager: { replicas: 2 } } });
    const job = (name: string, target: string): KubeObject => ({ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkSessionJob', metadata: { name, namespace: 'ns' }, spec: { deploymentName: target, job: { jarURI: 'local:///x.jar' } } });
    const judged = await judgeSnapshot({
      objects: [{ object: job('a', 'with-ha') }, { object: job('b', 'without-ha') }, { object: job('c', 'missing') }, { object: fd('with-ha', { 'high-availability.type': 'kubernetes', 'high-availability.storageDir': 's3://x' }) }, { object: fd('without-ha', {}) }],
      defaultNamespace: 'ns',
      facts: { workloadsComplete: true },
    }, { config, operation: 'CREATE', requester: { username: 'auditor' } });
    const jobs = judged.filter((j) => j.entry.object.kind === 'FlinkSessionJob').map((j) => j.decision.findings.map((f) => `${f.action}: ${f.message}`).join());
    assert.match(jobs[0]!, /^passed: runs in session cluster with-ha, which has HA on/);
    assert.match(jobs[1]!, /^warned: runs in session cluster without-ha, which has no HA/);
    assert.match(jobs[2]!, /^warned: the session cluster FlinkDeployment ns\/missing does not exist/);
  });
});
