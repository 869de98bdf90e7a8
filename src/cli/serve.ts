// STUB: the `serve` subcommand (to be written).
import type { Command } from 'commander';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('(not yet available)')
    .action(() => {
      console.error('serve: not yet available');
      process.exitCode = 2;
    });
}
