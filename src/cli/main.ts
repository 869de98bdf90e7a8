// The CLI: one program, one subcommand per face of the product, as a function `run(argv, io) -> exit code`, so tests
// run it in-process and only bin/ touches the process. Each subcommand lives in its own module and only parses
// flags, loads config and hands over; the work is done in policy/, sources/, report/ and server/.
import { Command, CommanderError } from 'commander';
import type { CliIo } from './io.ts';

export type { CliIo } from './io.ts';
export { processIo, bufferIo } from './io.ts';

/** Registers one subcommand; its action reports the exit code through `done`. */
export type Register = (program: Command, io: CliIo, done: (code: number) => void) => void;

// Only the module of the subcommand being run is loaded: `dry-run` over a CI pipeline's manifests should not pay
// for the server's express, TLS and Kubernetes client start-up, and the top-level help loads none of them (it only
// lists the subcommands, from here; `help <command>` loads that one).
const SUBCOMMANDS: Record<string, { usage: string; summary: string; load: () => Promise<Register> }> = {
  serve: {
    usage: 'serve',
    summary: 'run the admission webhook over HTTPS: POST /mutate, POST /validate, GET /healthz, /readyz, /metrics',
    load: async () => (await import('./serve.ts')).registerServe,
  },
  'dry-run': {
    usage: 'dry-run <inputs...>',
    summary: 'show what the webhook would do to manifests (files, folders, or - for stdin), offline',
    load: async () => (await import('./dry-run.ts')).registerDryRun,
  },
  'match-conditions': {
    usage: 'match-conditions',
    summary: 'print the matchConditions of the ha-configmaps webhook for a config (owner ServiceAccounts, marks, pod-bound tokens)',
    load: async () => (await import('./match-conditions.ts')).registerMatchConditions,
  },
  probe: {
    usage: 'probe',
    summary: "send a running webhook a dry-run review and check that it answers (the chart's helm test)",
    load: async () => (await import('./probe.ts')).registerProbe,
  },
  onboard: {
    usage: 'onboard -n <ns>',
    summary: "print a Flink namespace's ServiceAccount, Role and RoleBinding with the ConfigMap verbs Flink's HA needs",
    load: async () => (await import('./onboard.ts')).registerOnboard,
  },
  audit: {
    usage: 'audit [inputs...]',
    summary: 'report what the webhook would do to a folder of manifests or a live cluster, and what only a whole cluster shows',
    load: async () => (await import('./audit.ts')).registerAudit,
  },
};

/** Runs the CLI over `argv` (the user's arguments, without node and the script) and resolves to the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = new Command('flink-ha-webhook')
    .description('Admission webhook, dry-run and audit for Apache Flink Kubernetes High Availability')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (text, write) => write(text) })
    // Set before the subcommands are added: commander copies both settings into each of them.
    .exitOverride();
  // `help dry-run` is `dry-run --help`: it needs that subcommand's module and no other.
  if (argv[0] === 'help' && argv[1] !== undefined && argv[1] in SUBCOMMANDS) argv = [argv[1], '--help'];
  const wanted = argv[0] !== undefined ? SUBCOMMANDS[argv[0]] : undefined;
  try {
    if (wanted) (await wanted.load())(program, io, (c) => (code = c));
    else for (const { usage, summary } of Object.values(SUBCOMMANDS)) program.command(usage).description(summary);
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    // Help and version exit 0; usage errors exit 2 (commander's default is 1, which CI would read as "denied").
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    // A throw that got this far is a bug; the user still gets one line, never a stack trace.
    io.stderr(`flink-ha-webhook: unexpected failure: ${err instanceof Error ? err.message : String(err)} (please report this)\n`);
    return 2;
  }
}
