// The CLI: one program, one subcommand per face of the product. Each subcommand lives in its own module and
// only parses flags, loads config and hands over; the work is done in policy/, sources/, report/ and server/.
import { Command } from 'commander';

const program = new Command('flink-ha-webhook')
  .description('Admission webhook, dry-run and audit for Apache Flink Kubernetes High Availability')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

// Set before the subcommands are added: commander copies it into each of them.
program.exitOverride((err) => {
  // Usage errors exit 2 (commander's default is 1, which CI would read as "denied").
  process.exit(err.exitCode === 0 ? 0 : 2);
});

// Only the module of the subcommand being run is loaded: `dry-run` over a CI pipeline's manifests should not pay
// for the server's express, TLS and Kubernetes client start-up. Help and unknown commands load them all.
const SUBCOMMANDS: Record<string, () => Promise<(p: Command) => void>> = {
  serve: async () => (await import('./serve.ts')).registerServe,
  'dry-run': async () => (await import('./dry-run.ts')).registerDryRun,
  audit: async () => (await import('./audit.ts')).registerAudit,
  'match-conditions': async () => (await import('./match-conditions.ts')).registerMatchConditions,
};
const wanted = process.argv[2];
const load = wanted !== undefined && wanted in SUBCOMMANDS ? [SUBCOMMANDS[wanted]!] : Object.values(SUBCOMMANDS);
for (const register of await Promise.all(load.map((l) => l()))) register(program);

await program.parseAsync(process.argv);
