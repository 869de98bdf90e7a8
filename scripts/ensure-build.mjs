// Compiles src/ to dist/ when dist/ is missing or older than a source file, so that `npm start`, `npm test` and
// the spawn tests run current JavaScript; a no-op (a few ms) when dist/ is up to date. `--force` builds regardless.
import { build, isStale } from './build-state.mjs';

if (process.argv.includes('--force') || isStale()) {
  try {
    build();
  } catch {
    console.error('flink-ha-webhook: the build failed (tsc -p tsconfig.build.json); see the errors above');
    process.exit(1);
  }
}
