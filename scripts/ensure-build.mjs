// Compiles src/ to dist/ (tsc -p tsconfig.build.json) when dist/ is missing or older than a source file, so that
// `npm start`, `npm test` and the spawn tests run current JavaScript; a no-op (a few ms) when dist/ is up to date.
// `--force` builds regardless. Plain JS: it runs before anything is compiled.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const STAMP = 'dist/.build-stamp';
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs; // a deleted or renamed file changes its folder's mtime
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const force = process.argv.includes('--force');
const stale = force || !existsSync(STAMP) || INPUTS.some((p) => existsSync(p) && newest(p) > statSync(STAMP).mtimeMs);
if (stale) {
  const started = Date.now();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  } catch {
    console.error('flink-ha-webhook: the build failed (tsc -p tsconfig.build.json); see the errors above');
    process.exit(1);
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  console.error(`flink-ha-webhook: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
