// `flink-ha-webhook dry-run FILE|DIR|-`: what the webhook would do to these manifests, offline.
// Exit codes: 0 every object allowed, 1 something denied, 2 usage or input errors (the rest is still processed).
import { readFileSync } from 'node:fs';
import type { Command} from 'commander';
import { Option } from 'commander';
import { loadConfig } from '../config/load.ts';
import { readManifests } from '../sources/manifests.ts';
import { dryRun } from '../dryrun/run.ts';
import { DRY_RUN_FORMATS, formatDryRunChunks, type DryRunFormat } from '../dryrun/format.ts';
import type { Operation } from '../policy/types.ts';

interface DryRunFlags {
  output: DryRunFormat;
  operation: Operation;
  user: string;
  group: string[];
  pod?: string;
  namespace: string;
  config?: string;
}

export function registerDryRun(program: Command): void {
  program
    .command('dry-run')
    .description('show what the webhook would do to manifests (files, folders, or - for stdin), offline')
    .argument('<inputs...>', 'YAML or JSON files, folders (read recursively), or - for stdin')
    .addOption(new Option('-o, --output <format>', 'yaml (the patched manifests), patch, diff or json').choices(DRY_RUN_FORMATS).default('yaml'))
    .addOption(new Option('--operation <op>', 'the admission operation to judge').choices(['CREATE', 'UPDATE', 'DELETE']).default('CREATE'))
    .option('--user <name>', 'the requesting user (e.g. system:serviceaccount:flink-jobs:flink)', 'dry-run-user')
    .option('--group <group>', 'a group of the requesting user (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--pod <name>', 'the requester\'s token is bound to this Pod, as a pod\'s own ServiceAccount token is (what proves a Flink or operator ServiceAccount)')
    .option('-n, --namespace <ns>', 'namespace of objects that name none', 'default')
    .option('--config <file>', 'webhook config file (YAML)')
    .addHelpText('after', `
Examples:
  flink-ha-webhook dry-run manifests/flink/            # the patched manifests, with the rules that fired
  helm template my-flink ./chart | flink-ha-webhook dry-run - -o diff
  flink-ha-webhook dry-run ha-cm.yaml --operation DELETE --user alice   # would alice's delete be allowed?
  flink-ha-webhook dry-run ha-cm.yaml --operation DELETE --user system:serviceaccount:default:flink --pod jm-0   # Flink's own cleanup`)
    .action(async (inputs: string[], flags: DryRunFlags) => {
      process.exitCode = await runDryRun(inputs, flags);
    });
}

async function runDryRun(inputs: string[], flags: DryRunFlags): Promise<number> {
  const loaded = loadConfig({ file: flags.config, env: process.env });
  if (!loaded.ok) {
    for (const e of loaded.errors) console.error(`dry-run: ${e}`);
    return 2;
  }
  let stdin: string | undefined;
  if (inputs.includes('-')) {
    try {
      stdin = readFileSync(0, 'utf8');
    } catch (err) {
      console.error(`dry-run: cannot read stdin: ${(err as Error).message}`);
      return 2;
    }
  }
  const read = readManifests(inputs, stdin);
  const out = await dryRun(read.documents, read.errors, {
    config: loaded.config,
    operation: flags.operation,
    requester: { username: flags.user, groups: flags.group, ...(flags.pod ? { extra: { 'authentication.kubernetes.io/pod-name': [flags.pod] } } : {}) },
    defaultNamespace: flags.namespace,
  });
  for (const chunk of formatDryRunChunks(out.results, flags.output)) process.stdout.write(chunk);
  for (const e of out.errors) console.error(`dry-run: ${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
  const denied = out.results.filter((r) => !r.allowed);
  for (const r of denied) console.error(`dry-run: DENIED ${r.kind} ${r.namespace}/${r.name} (${r.source.file}:${r.source.line}): ${r.message ?? ''}`);
  const mutated = out.results.filter((r) => r.allowed && r.patch.length > 0).length;
  console.error(`dry-run: ${out.results.length} objects: ${mutated} mutated, ${denied.length} denied, ${out.errors.length} input errors`);
  return out.errors.length > 0 ? 2 : denied.length > 0 ? 1 : 0;
}
