// The CLI as CI runs it: exit codes, stdout/stderr, never a stack trace; in-process through run(argv, io), and as
// the real binary where only a process shows it (it must exit with a request to a silent server still open).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCli, spawnCli } from '../../support/cli.ts';
const fixtures = new URL('../../fixtures/audit/cases/', import.meta.url).pathname;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

async function audit(args: string[], input?: string): Promise<Run> {
  const r = await runCli(['audit', ...args], { stdin: input });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** The real binary, as a child process. */
async function auditAsync(args: string[]): Promise<Run> {
  const r = await spawnCli(['audit', ...args]);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

function assertNoStack(r: Run): void {
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `stack trace on stderr:\n${r.stderr}`);
}

const unrelated = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-settings, namespace: team-a}\ndata: {color: blue}\n';

describe('audit CLI exit codes', () => {
  it('0 when nothing would be denied', async () => {
    const r = await audit(['-'], unrelated);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 objects audited: no findings/);
  });

  it('1 when something would be denied (--fail-on deny, the default), with the finding on stdout', async () => {
    const r = await audit([join(fixtures, 'ha-configmap-owned.yaml'), '-o', 'json']);
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    const owned = report.findings.filter((f: { rule: string }) => f.rule === 'no-owner-reference');
    assert.equal(owned.length, 1);
    assert.equal(owned[0].action, 'denied');
    assert.equal(owned[0].line, 3);
  });

  it('0 for the same input with --fail-on never', async () => {
    assert.equal((await audit([join(fixtures, 'ha-configmap-owned.yaml'), '--fail-on', 'never'])).status, 0);
  });

  it('2 for an unreadable input, which is named, while the other inputs are still audited', async () => {
    const r = await audit(['/nonexistent/manifests', join(fixtures, 'ha-configmap-owned.yaml'), '-o', 'json']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\/nonexistent\/manifests: cannot read: no such file or directory/);
    assert.equal(JSON.parse(r.stdout).findings.some((f: { rule: string }) => f.rule === 'no-owner-reference'), true);
    assertNoStack(r);
  });

  it('2 for a YAML error, with file and line, and the document before it still audited', async () => {
    const r = await audit([join(fixtures, 'broken.yaml'), '-o', 'json']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /broken\.yaml:1[23]: YAML syntax error/);
    assert.equal(JSON.parse(r.stdout).summary.objects, 1);
    assertNoStack(r);
  });

  it('2 for a document that is no Kubernetes object (as dry-run), with file and line, the rest still audited', async () => {
    const r = await audit(['-', '-o', 'json'], `foo: bar\n---\n${unrelated}`);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /-:1: not a Kubernetes object: no kind/);
    assert.equal(JSON.parse(r.stdout).summary.objects, 1);
    assertNoStack(r);
  });

  // Each row: flags that make no sense together, and the message that says so.
  const usage: Array<[string[], RegExp]> = [
    [[], /nothing to audit/],
    [['--cluster', 'x.yaml'], /either --cluster or manifest inputs/],
    [['x.yaml', '--context', 'prod'], /need --cluster/],
    [['--cluster', '-n', 'a', '-A'], /-n and -A exclude each other/],
    [['x.yaml', '-o', 'html'], /Allowed choices are table, json, yaml, sarif, junit, policyreport/],
    [['--cluster', '--request-timeout', '0'], /--request-timeout must be a positive whole number/],
  ];
  for (const [args, message] of usage) {
    it(`2 for usage: ${args.join(' ') || '(no arguments)'}`, async () => {
      const r = await audit(args);
      assert.equal(r.status, 2);
      assert.match(r.stderr, message);
      assertNoStack(r);
    });
  }
});

describe('audit --cluster when the cluster cannot be asked', () => {
  let dir: string;
  let silent: Server;
  const sockets: Socket[] = [];
  let silentPort = 0;
  let closedPort = 0;

  const kubeconfig = (name: string, server: string) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: k, cluster: {server: '${server}', insecure-skip-tls-verify: true}}]\n` +
        `users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n`,
    );
    return path;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-cli-'));
    // Accepts connections and never answers: an API server that hangs.
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
    // Port 1 (tcpmux): nothing listens there. A port that was merely free a moment ago is not safe: test files run
    // in parallel, and one of their servers took it once (a fresh-clone CI run got a 404 instead of a refusal).
    closedPort = 1;
  });

  after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('3 when the kubeconfig points nowhere, naming the server', async () => {
    const r = await audit(['--cluster', '--kubeconfig', kubeconfig('nowhere', `https://127.0.0.1:${closedPort}`)]);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot reach https://127.0.0.1:${closedPort} .*ECONNREFUSED`));
    assertNoStack(r);
  });

  it('3 when the API server does not answer in time, saying it timed out', async () => {
    const r = await auditAsync(['--cluster', '--kubeconfig', kubeconfig('silent', `https://127.0.0.1:${silentPort}`), '--request-timeout', '1']);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`https://127.0.0.1:${silentPort} did not answer .* within 1s`));
    assertNoStack(r);
  });

  it('2 when the kubeconfig file cannot be read or names an unknown context', async () => {
    const missing = await audit(['--cluster', '--kubeconfig', join(dir, 'absent')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot load kubeconfig .*absent/);
    const context = await audit(['--cluster', '--kubeconfig', kubeconfig('ctx', 'https://127.0.0.1:1'), '--context', 'prod']);
    assert.equal(context.status, 2);
    assert.match(context.stderr, /context 'prod' is not in the kubeconfig \(it has: c\)/);
  });
});
