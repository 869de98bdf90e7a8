// Installs the locked dependencies when node_modules is missing or older than the lock file, so that
// `npm start` and `npm test` work on a fresh clone. Plain JS: it must run before anything is installed.
import { existsSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  console.error('flink-ha-webhook: installing dependencies from package-lock.json (npm ci) ...');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
