// The CLI: one program, one subcommand per face of the product. Each subcommand lives in its own module and
// only parses flags, loads config and hands over; the work is done in policy/, sources/, report/ and server/.
import { Command } from 'commander';
import { registerServe } from './serve.ts';
import { registerDryRun } from './dry-run.ts';
import { registerAudit } from './audit.ts';

const program = new Command('flink-ha-webhook')
  .description('Admission webhook, dry-run and audit for Apache Flink Kubernetes High Availability')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

// Set before the subcommands are added: commander copies it into each of them.
program.exitOverride((err) => {
  // Usage errors exit 2 (commander's default is 1, which CI would read as "denied").
  process.exit(err.exitCode === 0 ? 0 : 2);
});

registerServe(program);
registerDryRun(program);
registerAudit(program);

await program.parseAsync(process.argv);
