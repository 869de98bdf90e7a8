// Runs node's test runner over test/<suite>/**/*.test.ts with tsx as the TypeScript loader.
// Node 20's --test does not expand globs or pick up .ts files by itself, hence this finder.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const suites = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (entry.endsWith('.test.ts')) files.push(path);
  }
};
for (const suite of suites) if (existsSync(join('test', suite))) walk(join('test', suite));
if (files.length === 0) {
  console.error(`no test files under test/{${suites.join(',')}}`);
  process.exit(1);
}
// e2e suites share one control plane per file and are heavy: run them one file at a time.
const concurrency = suites.includes('e2e') ? '1' : String(Math.max(2, Math.min(4, files.length)));
// --test-force-exit: a file whose tests are done ends even if a handle it forgot keeps its event loop alive (its
// exit hooks still stop every process the harness started), rather than hanging the suite until CI's limit.
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-force-exit', `--test-concurrency=${concurrency}`, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
