// scripts/run-tests.mjs times a hung test file out: run on a scratch project whose files hang in the three ways a
// guard regression can hang CI (a synchronous spin, an await that never settles, a spin that ignores SIGTERM).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const RUNNER = join(ROOT, 'scripts', 'run-tests.mjs');

const FILES: Record<string, string> = {
  'ok.test.ts': `import { it } from 'node:test';\nit('passes', () => {});\n`,
  // What a failing message-less assert.ok did: no timer in the file's own process can fire.
  'spin.test.ts': `import { it } from 'node:test';\nimport { writeFileSync } from 'node:fs';\n`
    + `it('spins', () => { writeFileSync('spin.pid', String(process.pid)); for (;;) { /* hung */ } });\n`,
  'wait.test.ts': `import { it } from 'node:test';\nit('waits forever', () => new Promise(() => { setInterval(() => {}, 1000); }));\n`,
  // As an e2e file does: a SIGTERM handler (the harness's), which a spinning event loop never runs.
  'stubborn.test.ts': `import { it } from 'node:test';\nimport { writeFileSync } from 'node:fs';\n`
    + `process.on('SIGTERM', () => {});\n`
    + `it('spins past SIGTERM', () => { writeFileSync('stubborn.pid', String(process.pid)); for (;;) { /* hung */ } });\n`,
};

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('scripts/run-tests.mjs: the per-file watchdog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fhw-runner-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('kills each hung file, names it, still reports the others, and fails the run', async () => {
    mkdirSync(join(dir, 'test', 'unit'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, 'test', 'unit', name), text);
    const started = Date.now();
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      // Without NODE_TEST_CONTEXT: inherited from this test, it makes node --test skip the files as "recursive".
      const { NODE_TEST_CONTEXT: _, ...env } = process.env;
      const child = spawn(process.execPath, [RUNNER, 'unit'], { cwd: dir, env: { ...env, TEST_FILE_TIMEOUT_S: '8' } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (c) => resolve({ code: c, out }));
    });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(code, 1, `the run fails when a file hangs:\n${out}`);
    for (const hung of ['spin', 'wait', 'stubborn']) {
      assert.match(out, new RegExp(`✖ test/unit/${hung}\\.test\\.ts: timed out after 8 s and was killed`), `${hung} named as timed out:\n${out}`);
      assert.match(out, new RegExp(`^# timed out: test/unit/${hung}\\.test\\.ts$`, 'm'), `${hung} in the summary:\n${out}`);
    }
    assert.match(out, /^# files 4, failed 3, timed out 3$/m, out);
    assert.match(out, /^# pass 1$/m, `the passing file is still reported:\n${out}`);
    // An 8 s budget (loading tsx on two busy cores takes a few), then SIGTERM; the stubborn file needs the SIGKILL 10 s later.
    assert.match(out, /^# slowest files: test\/unit\/stubborn\.test\.ts (1[89]|[2-5]\d)\.\d s/m, `the stubborn file was killed after the grace:\n${out}`);
    assert.ok(seconds < 60, `the run ended ${seconds} s after it started`);
    for (const pidFile of ['spin.pid', 'stubborn.pid']) {
      const pid = Number(readFileSync(join(dir, pidFile), 'utf8'));
      assert.ok(gone(pid), `the hung test process ${pid} (${pidFile}) was killed, not left spinning`);
    }
  });
});
