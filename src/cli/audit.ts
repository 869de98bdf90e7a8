// STUB: the `audit` subcommand (to be written).
import type { Command } from 'commander';

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('(not yet available)')
    .action(() => {
      console.error('audit: not yet available');
      process.exitCode = 2;
    });
}
