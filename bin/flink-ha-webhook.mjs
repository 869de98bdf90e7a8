#!/usr/bin/env node
// The CLI entry: runs the compiled JavaScript in dist/ (`npm run build`; `npm start` and `npm test` build it when
// it is missing or stale). Exits explicitly once stdout is flushed: a request abandoned on timeout would otherwise
// keep its socket, and the process, alive.
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist')) throw err;
  process.stderr.write('flink-ha-webhook: not built yet: run `npm run build` (or `npm start`, which builds first)\n');
  process.exit(2);
}
const code = await cli.run(process.argv.slice(2), cli.processIo());
await new Promise((resolve) => process.stdout.write('', resolve));
process.exit(code);
