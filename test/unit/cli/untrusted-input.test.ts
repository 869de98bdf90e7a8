// Input a user can write, through both offline faces: each case with its message and exit code, never a stack
// trace. dry-run and audit must agree on each (an input error in one is an input error in the other).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnCli, STACK_TRACE, type CliRun } from '../../support/cli.ts';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures');

/** A "billion laughs": 9 levels of 9 aliases each, 9^9 nodes once expanded, ~600 bytes of text. */
function aliasBomb(): string {
  const lines = ['  a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= 9; i++) lines.push(`  a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n${lines.join('\n')}\n`;
}

const deployment = (args: unknown[]) => JSON.stringify({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'flink-jobmanager', labels: { app: 'flink', component: 'jobmanager' } },
  spec: { replicas: 1, template: { metadata: { labels: { app: 'flink', component: 'jobmanager' } }, spec: { containers: [{ name: 'jobmanager', image: 'flink:1.20', args }] } } },
});
const flinkDeployment = (spec: Record<string, unknown>) => JSON.stringify({
  apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name: 'orders', namespace: 'streaming' },
  spec: { image: 'flink:1.20', flinkVersion: 'v1_20', serviceAccount: 'flink', jobManager: { replicas: 2 }, taskManager: {}, ...spec },
});

async function both(args: string[], stdin?: string): Promise<{ dry: CliRun; audit: CliRun }> {
  const env = { FLINK_HA_STORAGE_DIR_TEMPLATE: 's3://ha/{namespace}/{clusterId}' };
  return {
    dry: await runCli(['dry-run', ...args], { stdin, env }),
    audit: await runCli(['audit', ...args], { stdin, env }),
  };
}

describe('input that checks nothing, or too much: exit 2 with the reason, in dry-run and audit alike', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fhw-input-'));
    writeFileSync(join(dir, 'bomb.yaml'), aliasBomb());
    writeFileSync(join(dir, 'deep.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    writeFileSync(join(dir, 'deep-alias.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: &a ${'['.repeat(600)}1${']'.repeat(600)}\ny: *a\n`);
    writeFileSync(join(dir, 'empty.yaml'), '\n# nothing here\n');
    mkdirSync(join(dir, 'empty-folder'));
    mkdirSync(join(dir, 'real'));
    copyFileSync(join(FIX, 'upstream', 'basic.yaml'), join(dir, 'real', 'basic.yaml'));
    mkdirSync(join(dir, 'linked'));
    symlinkSync(join(dir, 'real'), join(dir, 'linked', 'shared'));
    symlinkSync(join(dir, 'linked'), join(dir, 'real', 'loop')); // real/loop -> linked -> shared -> real
    writeFileSync(join(dir, 'list.yaml'), 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: ok}}\n- 42\n- {kind: ConfigMap, metadata: {name: x}}\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const CASES: Array<{ name: string; args: () => string[]; stdin?: string; code: number; says: RegExp }> = [
    { name: 'an alias bomb', args: () => [join(dir, 'bomb.yaml')], code: 2, says: /bomb\.yaml:1: document 1 refused: excessive aliasing/ },
    { name: 'absurd nesting', args: () => [join(dir, 'deep.yaml')], code: 2, says: /deep\.yaml:1: document 1 is nested too deeply to read \(more than 500 levels/ },
    { name: 'nesting built from an alias', args: () => [join(dir, 'deep-alias.yaml')], code: 2, says: /deep-alias\.yaml:1: document 1 refused: nested more than 500 levels deep/ },
    { name: 'an empty file', args: () => [join(dir, 'empty.yaml')], code: 2, says: /empty\.yaml: no Kubernetes object in this file \(it is empty or only comments\)/ },
    { name: 'an empty folder', args: () => [join(dir, 'empty-folder')], code: 2, says: /empty-folder: no manifest files \(\.yaml, \.yml, \.json\) in this folder or below it/ },
    { name: 'empty stdin', args: () => ['-'], stdin: '', code: 2, says: /-: stdin is empty/ },
    { name: 'only comments and separators on stdin', args: () => ['-'], stdin: '---\n# Source: chart/empty.yaml\n---\n', code: 2, says: /no Kubernetes object found: nothing was checked/ },
    { name: 'a List with bad items', args: () => [join(dir, 'list.yaml')], code: 2, says: /list\.yaml:1 items\[1\]: an item of the List is not an object \(got number\)[^]*list\.yaml:1 items\[2\]: ConfigMap: no apiVersion/ },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      const { dry, audit } = await both(c.args(), c.stdin);
      for (const [face, r] of [['dry-run', dry], ['audit', audit]] as const) {
        assert.equal(r.code, c.code, `${face}: ${r.stderr}`);
        assert.match(r.stderr, c.says, face);
        assert.doesNotMatch(r.stderr, STACK_TRACE, face);
      }
    });
  }

  it('follows a symlinked folder, once, even when links loop', async () => {
    const { dry, audit } = await both([join(dir, 'linked')]);
    assert.match(dry.stderr, /dry-run: 1 objects:/);
    assert.equal((JSON.parse((await runCli(['audit', join(dir, 'linked'), '-o', 'json'])).stdout) as { summary: { objects: number } }).summary.objects, 1);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(audit.code, 0, audit.stderr);
  });

  it('the real binary refuses the bomb within a 64 MB heap (it would need gigabytes if expanded)', async () => {
    const r = await spawnCli(['dry-run', join(dir, 'bomb.yaml'), '-o', 'json'], { env: { NODE_OPTIONS: '--max-old-space-size=64' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /excessive aliasing/);
  });
});

describe('values of the wrong type: a finding with the JSON path, never a throw or a silent overwrite', () => {
  const CASES: Array<{ name: string; manifest: string; path: RegExp }> = [
    { name: 'a number among the JobManager args', manifest: deployment(['jobmanager', '-Dfoo=1', 42]), path: /spec\.template\.spec\.containers\[0\]\.args\[2\] must be a string; found the number 42/ },
    { name: 'flinkConfiguration as a list', manifest: flinkDeployment({ flinkConfiguration: ['a', 'b'] }), path: /spec\.flinkConfiguration must be a map; found a list/ },
    { name: 'jobManager as a number', manifest: flinkDeployment({ jobManager: 5 }), path: /spec\.jobManager must be a map; found the number 5/ },
    { name: 'storageDir as a list', manifest: flinkDeployment({ flinkConfiguration: { 'high-availability.type': 'kubernetes', 'high-availability.storageDir': ['s3://a', 's3://b'] } }), path: /spec\.flinkConfiguration\.high-availability\.storageDir must be a string; found a list/ },
    { name: 'storageDir as a number, nested', manifest: flinkDeployment({ flinkConfiguration: { 'high-availability': { type: 'kubernetes', storageDir: 12345 } } }), path: /spec\.flinkConfiguration\.high-availability\.storageDir must be a string; found the number 12345/ },
    { name: 'the HA type as a number', manifest: flinkDeployment({ flinkConfiguration: { 'high-availability.type': 12 } }), path: /spec\.flinkConfiguration\.high-availability\.type must be a string; found the number 12/ },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      const { dry, audit } = await both(['-', '-o', 'json'], c.manifest);
      assert.equal(dry.code, 1, dry.stderr);
      const [result] = JSON.parse(dry.stdout) as Array<{ allowed: boolean; patch: unknown[]; findings: Array<{ rule: string; action: string; message: string }> }>;
      assert.equal(result!.allowed, false);
      assert.deepEqual(result!.patch, [], 'nothing written over what the user wrote');
      assert.ok(result!.findings.some((f) => f.rule === 'policy-error' && f.action === 'denied' && c.path.test(f.message)), JSON.stringify(result!.findings));
      assert.equal(audit.code, 1, audit.stderr);
      const findings = (JSON.parse(audit.stdout) as { findings: Array<{ rule: string; action: string; message: string }> }).findings;
      assert.ok(findings.some((f) => f.rule === 'policy-error' && f.action === 'denied' && c.path.test(f.message)), JSON.stringify(findings));
      for (const r of [dry, audit]) assert.doesNotMatch(r.stderr, STACK_TRACE);
    });
  }

  it('an HA type Flink does not know is denied as such, not as "HA off"', async () => {
    const { dry } = await both(['-', '-o', 'json'], flinkDeployment({ flinkConfiguration: { 'high-availability.type': '12', 'high-availability.storageDir': 's3://x' } }));
    const [result] = JSON.parse(dry.stdout) as Array<{ findings: Array<{ rule: string; action: string; message: string }> }>;
    const ha = result!.findings.find((f) => f.rule === 'ha-enabled')!;
    assert.equal(ha.action, 'denied');
    assert.match(ha.message, /is no HA type Flink knows .* factory class named '12'/);
    assert.doesNotMatch(ha.message, /turns high availability off/);
  });

  it('metadata of the wrong type is an input error naming the field', async () => {
    const { dry, audit } = await both(['-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: [x], ownerReferences: {kind: X}}\n');
    for (const r of [dry, audit]) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /-:1: ConfigMap: metadata\.labels must be a map; found a list; metadata\.ownerReferences must be a list; found a map/);
    }
  });
});
