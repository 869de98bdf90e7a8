// Whether dist/ is current, and the build itself (tsc -p tsconfig.build.json). Shared by scripts/ensure-build.mjs
// (npm scripts) and bin/ (which, in a clone, never runs a dist/ older than src/). Plain JS: it runs before any build.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(ROOT, 'dist', '.build-stamp');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((p) => join(ROOT, p));

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs; // a deleted or renamed file changes its folder's mtime
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

/** True when dist/ is missing or a source is newer than the last build (~80 stat calls: a few ms). */
export function isStale() {
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.some((p) => existsSync(p) && newest(p) > built);
}

/** Compiles src/ to dist/; throws (after tsc printed its errors) when the build fails. */
export function build() {
  const started = Date.now();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // The compiler gets its own options: a caller's NODE_OPTIONS (a small test heap) is not meant for it.
  const env = { ...process.env, NODE_OPTIONS: '' };
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT, env });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  process.stderr.write(`flink-ha-webhook: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
