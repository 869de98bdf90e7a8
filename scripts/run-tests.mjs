// Runs node's test runner over test/<suite>/**/*.test.ts with tsx as the TypeScript loader, one file per process,
// each under a wall-clock budget. Node 20's --test does not expand globs or pick up .ts files by itself, hence this finder.
//
// Why a watchdog of our own and not node's --test-timeout: on Node 20 that flag bounds a whole file (measured on
// 20.20: a file of two 1.5 s tests fails at --test-timeout=2000), and from Node 22.15/23.x on it bounds each test
// with a timer inside the test process, which a synchronous spin (a failing message-less assert.ok re-parsing
// the source for 10+ minutes) never lets fire. Killing the file's process group from out here works for both.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { spawn } from 'node:child_process';

const suites = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (entry.endsWith('.test.ts')) files.push(path);
  }
};
// `unit http` names suites; a path ending in .test.ts names one file (`node scripts/run-tests.mjs test/e2e/faults.test.ts`).
for (const arg of suites) {
  if (arg.endsWith('.test.ts') && existsSync(arg)) files.push(join(arg));
  else if (existsSync(join('test', arg))) walk(join('test', arg));
}
if (files.length === 0) {
  console.error(`no test files under test/{${suites.join(',')}}`);
  process.exit(1);
}

// Budgets per file. Unit and HTTP files take seconds (the slowest ~30 s on 2 loaded cores). An e2e file's
// before() may build what it runs first: the control plane from cold took ~17 min on 2 shared cores (docs/e2e.md;
// kube-apiserver alone 8.5 min under five parallel sessions), then the file itself runs up to ~5 min (real Flink,
// the real node, helm, cert-manager): 45 min is twice that. TEST_FILE_TIMEOUT_S overrides both (a slow machine).
const MINUTE = 60_000;
const override = Number(process.env.TEST_FILE_TIMEOUT_S ?? 0);
if (!(override >= 0)) {
  console.error(`TEST_FILE_TIMEOUT_S must be a number of seconds, got ${JSON.stringify(process.env.TEST_FILE_TIMEOUT_S)}`);
  process.exit(2);
}
const isE2e = (file) => file.startsWith(join('test', 'e2e') + sep);
const budgetMs = (file) => (override > 0 ? override * 1000 : isE2e(file) ? 45 * MINUTE : 5 * MINUTE);
/** After SIGTERM (the e2e harness stops its processes on it), SIGKILL (its bash watchdog cleans up after that). */
const KILL_GRACE_MS = 10_000;

// e2e files share one control plane per file and are heavy: one at a time, streamed as they go. Others run side
// by side, each file's report printed whole when it ends so that reports do not interleave.
const queue = [...files];
const concurrency = files.some(isE2e) ? 1 : Math.max(2, Math.min(4, files.length));
const live = concurrency === 1;
// A piped stdout would make node pick the TAP reporter; keep the spec report a terminal showed before (uncoloured:
// it goes through our pipe). CI, not a terminal, keeps TAP.
const reporter = [`--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`];

// Each file runs in its own process group (so the watchdog can kill it whole), which a Ctrl-C at the terminal does
// not reach: pass our SIGINT/SIGTERM on to every running file; a second one kills them outright.
const running = new Set();
let interrupted = 0;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    interrupted += 1;
    queue.length = 0;
    for (const group of running) signalGroup(group, interrupted > 1 ? 'SIGKILL' : sig);
  });
}

function signalGroup(pid, sig) {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends a hung file's whole process group: SIGTERM, then SIGKILL to whatever is left after the grace (a file that
 * spins with a SIGTERM handler, as the e2e harness has, never runs it). Waits on the group, not on the file's
 * process alone: what it started in its group may outlive it, orphaned (as `node --test`'s child did, spinning).
 */
async function endGroup(pid) {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + KILL_GRACE_MS;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(200);
  if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  // Bounded: a killed orphan stays in the group as a zombie until PID 1 reaps it, and some containers' PID 1 never does.
  const reaped = Date.now() + 5_000;
  while (groupAlive(pid) && Date.now() < reaped) await sleep(50);
}

/** Runs one file; resolves to {file, code, timedOut, counts, ms}. */
function runFile(file) {
  return new Promise((resolve) => {
    // --test-force-exit: a file whose tests are done ends even if a handle it forgot keeps its event loop alive (its
    // exit hooks still stop every process the harness started). detached: its own process group, to kill it whole.
    // The file runs in this one process, not under `node --test <file>`: there, on Node 20.20, --test-force-exit
    // cut the child's report short in about 1 run in 4 (ha-guards.test.ts reported 44-60 of its 61 tests, exit 0;
    // a failure's name and message could be lost with the tail); run directly, 50 of 50 runs reported all 61.
    const child = spawn(process.execPath, ['--import', 'tsx', '--test-force-exit', ...reporter, file],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const chunks = [];
    const keep = (out) => (chunk) => {
      chunks.push(chunk);
      if (live) out.write(chunk);
    };
    child.stdout.on('data', keep(process.stdout));
    child.stderr.on('data', keep(process.stderr));
    const started = Date.now();
    running.add(child.pid);
    let ended = Promise.resolve();
    let timedOut = false;
    const watchdog = setTimeout(() => {
      timedOut = true;
      ended = endGroup(child.pid);
    }, budgetMs(file));
    child.on('close', async (code) => {
      clearTimeout(watchdog);
      await ended;
      running.delete(child.pid);
      const output = Buffer.concat(chunks).toString('utf8');
      if (!live) process.stdout.write(output);
      if (timedOut) {
        console.log(`\n✖ ${file}: timed out after ${budgetMs(file) / 1000} s and was killed: a test or hook in it hung `
          + `(its unfinished tests are not counted; run it alone to see which: node --import tsx --test ${file})\n`);
      }
      resolve({ file, code: code ?? 1, timedOut, counts: countsOf(output), ms: Date.now() - started });
    });
  });
}

/** The summary lines node prints at the end of a file's report (TAP: `# pass 3`, spec: `ℹ pass 3`). */
function countsOf(output) {
  const counts = {};
  for (const m of output.matchAll(/^(?:#|ℹ) (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

const results = [];
await Promise.all(Array.from({ length: concurrency }, async () => {
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) results.push(await runFile(file));
}));

const total = {};
for (const r of results) for (const [k, v] of Object.entries(r.counts)) total[k] = (total[k] ?? 0) + v;
const failed = results.filter((r) => r.code !== 0).map((r) => r.file).sort();
const timedOut = results.filter((r) => r.timedOut).map((r) => r.file).sort();
console.log(`\n# files ${results.length}, failed ${failed.length}, timed out ${timedOut.length}`);
for (const k of ['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo']) console.log(`# ${k} ${total[k] ?? 0}`);
// The slowest files, to keep the budgets above honest.
const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 3);
console.log(`# slowest files: ${slowest.map((r) => `${r.file} ${(r.ms / 1000).toFixed(1)} s`).join(', ')}`);
for (const f of failed) console.log(`# ${timedOut.includes(f) ? 'timed out' : 'failed'}: ${f}`);
process.exit(interrupted > 0 ? 130 : failed.length > 0 ? 1 : 0);
