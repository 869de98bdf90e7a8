// STUB: the `dry-run` subcommand (to be written).
import type { Command } from 'commander';

export function registerDryRun(program: Command): void {
  program
    .command('dry-run')
    .description('(not yet available)')
    .action(() => {
      console.error('dry-run: not yet available');
      process.exitCode = 2;
    });
}
