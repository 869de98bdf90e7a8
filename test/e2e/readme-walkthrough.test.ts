// The README's sandbox walkthrough, run as a new user runs it: `npm run sandbox` (and, on a machine that can run the
// real node, `npm run sandbox -- --in-cluster`) in its own process, the lines it prints pasted into a shell, then
// every `$ ` command of the README's walkthrough block run verbatim with bash; each line the README shows after a
// command must appear in what it printed (`...` stands for any text). Also: the live audit run without --config
// agrees with the webhook (it reads the installed config, denies nothing the webhook allowed), and the HA state is
// unchanged, byte for byte, until Flink's own token deletes it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './harness/index.ts';

interface Step { command: string; shown: string[] }

/** The walkthrough block of the README: the `$ ` lines after its marker comment, each with the lines shown below it. */
function walkthrough(): Step[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /<!-- walkthrough:[^]*?-->\n```\n([^]*?)```/.exec(readme);
  assert.ok(block, 'the README has a walkthrough block after its <!-- walkthrough: --> marker');
  const steps: Step[] = [];
  for (const line of block[1]!.split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), shown: [] });
    else if (line.trim() !== '' && line.trim() !== '...') steps.at(-1)?.shown.push(line.trim());
  }
  return steps;
}

/** A shown line as a pattern: `...` is any text, a run of spaces any whitespace. */
function pattern(shown: string): RegExp {
  const parts = shown.split('...').map((p) => p.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
  return new RegExp(parts.join('[^]*?'));
}

function startSandbox(args: string[]): Promise<{ child: ChildProcess; printed: string }> {
  // Its own process group, so that the stop reaches npm, its shell and the sandbox alike.
  const child = spawn('npm', ['run', 'sandbox', '--', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let printed = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      printed += d.toString();
      if (printed.includes('Ctrl-C stops everything.')) resolve({ child, printed });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the sandbox exited (${code}) before it was ready:\n${printed}`)));
  });
}

function stopSandbox(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    // SIGTERM to the sandbox's group (npm, sh, node): its handler stops the control plane, webhook (and node).
    process.kill(-child.pid!, 'SIGTERM');
  });
}

function walkthroughSuite(mode: 'plain' | 'in-cluster') {
  describe(`the README walkthrough in the ${mode} sandbox`, { timeout: 600_000 }, () => {
    let child: ChildProcess | undefined;
    let printed = '';
    let env: NodeJS.ProcessEnv = {};
    let binDir: string;
    const steps = walkthrough();

    before(async () => {
      ({ child, printed } = await startSandbox(mode === 'in-cluster' ? ['--in-cluster'] : []));
      // What the user pastes: the two exports and the kubectl alias (a symlink on PATH: bash -c runs no aliases).
      const value = (re: RegExp) => {
        const m = re.exec(printed);
        assert.ok(m, `the sandbox printed ${re.source}:\n${printed}`);
        return m[1]!;
      };
      binDir = mkdtempSync(join(tmpdir(), 'flink-ha-walkthrough-'));
      symlinkSync(value(/alias kubectl=(\S+)/), join(binDir, 'kubectl'));
      env = { ...process.env, KUBECONFIG: value(/export KUBECONFIG=(\S+)/), FLINK_KUBECONFIG: value(/export FLINK_KUBECONFIG=(\S+)/), PATH: `${binDir}:${process.env.PATH ?? ''}` };
    });
    after(async () => {
      await stopSandbox(child);
      if (binDir) rmSync(binDir, { recursive: true, force: true });
    });

    const run = (command: string) => {
      const r = spawnSync('bash', ['-c', command], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 120_000 });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const haState = () => run('kubectl -n flink-demo get configmap demo-cluster-config-map -o json');

    it('the sandbox prints the three lines to paste, its config, and (in-cluster) the image it built and loaded', () => {
      assert.match(printed, /config: +test\/e2e\/fixtures\/webhook-config\.yaml/, 'names the config it runs');
      if (mode === 'in-cluster') {
        assert.match(printed, /built the image flink-ha-e2e\.local\/flink-ha-webhook:\S+ from the Containerfile/, 'names the image it built');
        assert.match(printed, /kubectl delete -k \S+in-cluster-overlay --wait/, 'prints how to swap in a Helm release');
      }
    });

    it('every command prints what the README shows, verbatim', () => {
      assert.ok(steps.length >= 6, `the walkthrough has its commands: ${steps.map((s) => s.command).join(' | ')}`);
      assert.equal(steps[0]!.command.split('#')[0]!.trim(), 'npm run sandbox', 'it starts with the sandbox');
      const before = JSON.parse(haState().out) as { metadata: { resourceVersion: string }; data: unknown };
      for (const step of steps.slice(1)) {
        const isFlinksOwn = step.command.includes('$FLINK_KUBECONFIG');
        if (isFlinksOwn) {
          // Everything before Flink's own cleanup left the HA state exactly as Flink wrote it.
          const now = JSON.parse(haState().out) as { metadata: { resourceVersion: string }; data: unknown };
          assert.equal(now.metadata.resourceVersion, before.metadata.resourceVersion, 'no write reached the HA state');
          assert.deepEqual(now.data, before.data, 'the HA state is byte for byte what Flink wrote');
        }
        const r = run(step.command);
        for (const line of step.shown) {
          assert.match(r.out, pattern(line), `\`${step.command}\` printed the README's line\n  ${line}\n--- it printed:\n${r.out}`);
        }
        if (/ audit --cluster/.test(step.command)) {
          assert.equal(r.status, 0, `the live audit agrees with the webhook (nothing it would deny): ${r.out}`);
          assert.doesNotMatch(r.out, /WOULD DENY|no installed webhook config/, 'it judged with the installed config');
        }
      }
      assert.notEqual(haState().status, 0, "Flink's own token deleted the HA ConfigMap");
    });
  });
}

// FLINK_HA_E2E_WALKTHROUGH=plain|in-cluster runs one mode (the real node is one per machine: wait for it alone).
const only = process.env.FLINK_HA_E2E_WALKTHROUGH;
if (only !== 'in-cluster') walkthroughSuite('plain');
// The real node needs root (a bridge, iptables, cgroups), as test/e2e/in-cluster.test.ts does.
if (only !== 'plain' && process.getuid?.() === 0 && process.env.FLINK_HA_E2E_NO_NODE === undefined) walkthroughSuite('in-cluster');
