// The dry-run command as a user runs it: real files and stdin, exit codes and messages; in-process through
// run(argv, io), and once as the real binary.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';

import { runCli, spawnCli } from '../../support/cli.ts';
const FIX = join(import.meta.dirname, '..', '..', 'fixtures');

function run(args: string[], input?: string, env: Record<string, string> = {}) {
  return runCli(['dry-run', ...args], { stdin: input, env });
}
const withTemplate = { FLINK_HA_STORAGE_DIR_TEMPLATE: 's3://flink-ha/{namespace}/{clusterId}' };

describe('flink-ha-webhook dry-run', () => {
  it('prints the patched manifests with the rules that fired, exit 0', async () => {
    const r = await run([join(FIX, 'upstream', 'basic.yaml')], undefined, withTemplate);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# FlinkDeployment default\/basic-example \(.*basic\.yaml:19\): mutated$/m);
    assert.match(r.stdout, /^# {3}\[ha-enabled\] mutated: set high-availability\.type: kubernetes/m);
    const doc = yaml.load(r.stdout.split('---\n')[1]!) as any;
    assert.equal(doc.spec.flinkConfiguration['high-availability.type'], 'kubernetes');
    assert.equal(doc.spec.jobManager.replicas, 2);
  });

  it('says once, plainly, what it could not check offline and that the live webhook will (issue 24)', async () => {
    const r = await runCli(['dry-run', join(FIX, '..', '..', 'examples', 'orders.yaml')]);
    assert.match(r.stderr, /dry-run: 1 objects have checks only the cluster can answer \(does the ServiceAccount exist.*\): the live webhook checks them, and denies a workload whose ServiceAccount does not exist/, r.stderr);
    assert.match(r.stdout, /set spec\.serviceAccount: flink \(could not check that it exists: where it does not, the webhook denies this workload\)/, 'the finding says it too');
    const flinkDelete = await runCli(['dry-run', join(FIX, 'flink', 'ha-configmaps.yaml'), '--operation', 'DELETE', '--user', 'alice']);
    assert.doesNotMatch(flinkDelete.stderr, /checks only the cluster can answer/, 'not said when nothing was left unchecked');
  });

  it('-o json gives one element per object with source, patch, object and findings', async () => {
    const r = await run([join(FIX, 'upstream'), '-o', 'json'], undefined, withTemplate);
    const out = JSON.parse(r.stdout) as any[];
    const fd = out.find((e) => e.name === 'basic-example');
    assert.deepEqual(Object.keys(fd).slice(0, 8), ['source', 'kind', 'namespace', 'name', 'allowed', 'patch', 'object', 'findings']);
    assert.equal(fd.source.index, 0);
    assert.ok(fd.patch.some((op: any) => op.path === '/spec/jobManager/replicas'), `the FlinkDeployment patch sets /spec/jobManager/replicas: ${JSON.stringify(fd.patch)}`);
    assert.ok(fd.findings.some((f: any) => f.rule === 'standby-jobmanagers' && f.action === 'mutated'), `a standby-jobmanagers mutated finding: ${JSON.stringify(fd.findings)}`);
    // The docs' session and application JobManagers both carry app: flink: in one namespace they would share a
    // cluster-id and each other's HA ConfigMaps, so both are denied (exit 1); everything else is made HA-safe.
    assert.equal(r.code, 1, r.stderr);
    const denied = out.filter((e) => !e.allowed);
    assert.deepEqual(denied.map((e) => `${e.kind}/${e.name}`).sort(), ['Deployment/flink-jobmanager', 'Job/flink-jobmanager']);
    assert.ok(denied.every((e) => e.findings.some((f: any) => f.rule === 'cluster-id' && f.action === 'denied')), `each denied object is denied by cluster-id: ${JSON.stringify(denied.map((e) => e.findings))}`);
    // The standalone JobManager mounts flink-config, judged first: it needs no -D args of its own.
    const jm = out.find((e) => e.kind === 'Deployment' && e.name === 'flink-jobmanager');
    assert.ok(!JSON.stringify(jm.patch).includes('-Dhigh-availability'), `no -Dhigh-availability on the standalone JobManager: ${JSON.stringify(jm.patch)}`);
  });

  it('reads Helm output on stdin (-), and -o patch / -o diff show the change', async () => {
    const text = `---\n# Source: chart/templates/flink.yaml\n${yaml.dump({ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name: 'from-helm', namespace: 'streaming' }, spec: { image: 'flink:1.20', flinkVersion: 'v1_20', serviceAccount: 'flink', flinkConfiguration: { 'high-availability.type': 'kubernetes', 'high-availability.storageDir': 's3://x' }, jobManager: { replicas: 1 }, taskManager: {} } })}`;
    const patch = await run(['-', '-o', 'patch'], text);
    assert.equal(patch.code, 0, patch.stderr);
    assert.match(patch.stdout, /"path": "\/spec\/jobManager\/replicas"/);
    const diff = await run(['-', '-o', 'diff'], text);
    assert.match(diff.stdout, /^-\s+replicas: 1$/m);
    assert.match(diff.stdout, /^\+\s+replicas: 2$/m);
  });

  it('answers "what if this user deleted that HA ConfigMap?" (exit 1 for a person, 0 for the Flink ServiceAccount)', async () => {
    const file = join(FIX, 'flink', 'ha-configmaps.yaml');
    const person = await run([file, '--operation', 'DELETE', '--user', 'alice', '-o', 'json']);
    assert.equal(person.code, 1);
    assert.ok((JSON.parse(person.stdout) as any[]).every((e) => !e.allowed && e.object === null), `every HA ConfigMap deletion by a person is denied: ${person.stdout}`);
    assert.match(person.stderr, /DENIED ConfigMap default\/orders-etl-cluster-config-map .*\[protect-ha-configmap\]/);
    const flink = await run([file, '--operation', 'DELETE', '--user', 'system:serviceaccount:default:flink', '--pod', 'orders-etl-jobmanager-0', '-o', 'json']);
    assert.equal(flink.code, 0, flink.stderr);
  });

  it('reports a YAML syntax error and an object without kind with file and line, processes the rest, exit 2, no stack trace', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fhw-dry-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(join(FIX, 'upstream', 'basic.yaml'), join(dir, 'good.yaml'));
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\nkind: Deployment\nmetadata: {name: [broken\n---\nfoo: bar\n---\n- a list\n');
    const r = await run([dir, '-o', 'json'], undefined, withTemplate);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:7: YAML syntax error/);
    assert.match(r.stderr, /bad\.yaml:9: not a Kubernetes object: no kind/);
    assert.match(r.stderr, /bad\.yaml:11: document 4 is not an object/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const out = JSON.parse(r.stdout) as any[];
    assert.deepEqual(out.map((e) => e.name).sort(), ['basic-example', 'ok']);
  });

  it('usage errors exit 2 with a message', async () => {
    const r = await run(['--output', 'xml', 'x.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /argument 'xml' is invalid/);
    const missing = await run([join(tmpdir(), 'does-not-exist.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does-not-exist\.yaml: cannot read: no such file or directory/);
  });

  it('a bad config file exits 2 naming the field', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fhw-cfg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'c.yaml'), 'minJobManagers: zero\n');
    const r = await run([join(FIX, 'upstream', 'basic.yaml'), '--config', join(dir, 'c.yaml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /minJobManagers: must be integer/);
  });

  it('runs as the real binary too: compiled bin, stdin, exit code, no stack trace', async () => {
    const r = await spawnCli(['dry-run', '-', '-o', 'json'], { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nfoo: bar\n' });
    assert.equal(r.code, 2, r.stderr);
    assert.equal((JSON.parse(r.stdout) as any[])[0].name, 'a');
    assert.match(r.stderr, /-:5: not a Kubernetes object: no kind/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
