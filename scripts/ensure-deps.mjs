// Installs the locked dependencies when node_modules is missing or older than the lock file, so that
// `npm start` and `npm test` work on a fresh clone. Plain JS: it must run before anything is installed.
import { existsSync, lstatSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
// A node_modules that is a symlink (a git worktree sharing another checkout's) is not ours to reinstall: `npm ci`
// would empty the directory it points to under every other checkout using it. A fresh checkout's lock file is
// newer than that marker by its mtime alone, so say so and go on.
const linked = existsSync('node_modules') && lstatSync('node_modules').isSymbolicLink();
if (stale && linked) {
  console.error('flink-ha-webhook: node_modules is a symlink (shared with another checkout) and looks older than package-lock.json; not reinstalling it: run `npm ci` where it lives if the lock file changed');
} else if (stale) {
  console.error('flink-ha-webhook: installing dependencies from package-lock.json (npm ci) ...');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
