#!/usr/bin/env node
// The CLI entry: runs the compiled JavaScript in dist/. In a clone (src/ beside dist/) it first rebuilds a dist/
// older than src/, so a test or a user never runs stale code; an installed package has no src/ and skips that.
// Exits explicitly once stdout is flushed: a request abandoned on timeout would otherwise keep its socket, and the
// process, alive.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../tsconfig.build.json', import.meta.url))) {
  const { build, isStale } = await import('../scripts/build-state.mjs');
  if (isStale()) {
    try {
      build();
    } catch {
      process.stderr.write('flink-ha-webhook: dist/ is out of date and the build failed (see above); fix the sources or run `npm run build`\n');
      process.exit(2);
    }
  }
}
const cli = await import('../dist/cli/main.js');
const code = await cli.run(process.argv.slice(2), cli.processIo());
await new Promise((resolve) => process.stdout.write('', resolve));
process.exit(code);
