// `flink-ha-webhook dry-run FILE|DIR|-`: what the webhook would do to these manifests, offline.
// Exit codes: 0 every object allowed, 1 something denied, 2 usage or input errors (the rest is still processed).
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Register } from './main.ts';
import type { CliIo } from './io.ts';
import { loadConfig } from '../config/load.ts';
import { manifestSnapshot, readManifests, whereOf } from '../sources/manifests.ts';
import { dryRun } from '../dryrun/run.ts';
import { DRY_RUN_FORMATS, formatDryRunChunks, type DryRunFormat } from '../dryrun/format.ts';
import type { ClusterView, Operation } from '../policy/types.ts';
import { POD_NAME_EXTRA, POD_UID_EXTRA, serviceAccountOf } from '../policy/requester.ts';

interface DryRunFlags {
  output: DryRunFormat;
  operation: Operation;
  user: string;
  group: string[];
  pod?: string;
  namespace: string;
  config?: string;
}

export const registerDryRun: Register = (program: Command, io: CliIo, done: (code: number) => void): void => {
  program
    .command('dry-run')
    .description('show what the webhook would do to manifests (files, folders, or - for stdin), offline')
    .argument('<inputs...>', 'YAML or JSON files, folders (read recursively), or - for stdin')
    .addOption(new Option('-o, --output <format>', 'yaml (the patched manifests), patch, diff or json').choices(DRY_RUN_FORMATS).default('yaml'))
    .addOption(new Option('--operation <op>', 'the admission operation to judge').choices(['CREATE', 'UPDATE', 'DELETE']).default('CREATE'))
    .option('--user <name>', 'the requesting user (e.g. system:serviceaccount:flink-jobs:flink)', 'dry-run-user')
    .option('--group <group>', 'a group of the requesting user (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--pod <name>', 'the requester\'s token is bound to this Pod, a real Pod of that ServiceAccount, as a pod\'s own ServiceAccount token is (what proves a Flink or operator ServiceAccount; the webhook checks the Pod, dry-run takes your word)')
    .option('-n, --namespace <ns>', 'namespace of objects that name none', 'default')
    .option('--config <file>', 'webhook config file (YAML)')
    .addHelpText('after', `
Examples:
  flink-ha-webhook dry-run manifests/flink/            # the patched manifests, with the rules that fired
  helm template my-flink ./chart | flink-ha-webhook dry-run - -o diff
  flink-ha-webhook dry-run ha-cm.yaml --operation DELETE --user alice   # would alice's delete be allowed?
  flink-ha-webhook dry-run ha-cm.yaml --operation DELETE --user system:serviceaccount:default:flink --pod jm-0   # Flink's own cleanup`)
    .action(async (inputs: string[], flags: DryRunFlags) => {
      done(await runDryRun(inputs, flags, io));
    });
};

const DRY_RUN_POD_UID = 'dry-run-pod';
const WRITE_BYTES = 1 << 20;

/** `--pod`: the user vouches that the Pod exists and runs as `--user`'s ServiceAccount; other Pods are unknown. */
function vouchedPod(user: string, pod: string): NonNullable<ClusterView['boundPod']> {
  const sa = serviceAccountOf(user);
  return (namespace, name) => Promise.resolve(sa && namespace === sa.namespace && name === pod ? { uid: DRY_RUN_POD_UID, serviceAccountName: sa.name } : undefined);
}

async function runDryRun(inputs: string[], flags: DryRunFlags, io: CliIo): Promise<number> {
  const loaded = loadConfig({ file: flags.config, env: io.env });
  if (!loaded.ok) {
    for (const e of loaded.errors) io.stderr(`dry-run: ${e}\n`);
    return 2;
  }
  let stdin: string | undefined;
  if (inputs.includes('-')) {
    try {
      stdin = io.readStdin();
    } catch (err) {
      io.stderr(`dry-run: cannot read stdin: ${(err as Error).message}\n`);
      return 2;
    }
  }
  // The CLI reads the sources; the face judges the snapshot (the same one an audit of these inputs judges).
  const { snapshot, errors } = manifestSnapshot(readManifests(inputs, stdin), flags.namespace);
  const out = await dryRun(snapshot, errors, {
    config: loaded.config,
    operation: flags.operation,
    requester: { username: flags.user, groups: flags.group, ...(flags.pod ? { extra: { [POD_NAME_EXTRA]: [flags.pod], [POD_UID_EXTRA]: [DRY_RUN_POD_UID] } } : {}) },
    ...(flags.pod ? { boundPod: vouchedPod(flags.user, flags.pod) } : {}),
  });
  // Written in pieces of about 1 MiB: one write per object would be one system call per object.
  let pending = '';
  for (const chunk of formatDryRunChunks(out.results, flags.output)) {
    pending += chunk;
    if (pending.length >= WRITE_BYTES) {
      io.stdout(pending);
      pending = '';
    }
  }
  if (pending !== '') io.stdout(pending);
  for (const e of out.errors) io.stderr(`dry-run: ${whereOf(e)}: ${e.message}\n`);
  const denied = out.results.filter((r) => !r.allowed);
  for (const r of denied) io.stderr(`dry-run: DENIED ${r.kind} ${r.namespace}/${r.name} (${whereOf(r.source)}): ${r.message ?? ''}\n`);
  const mutated = out.results.filter((r) => r.allowed && r.patch.length > 0).length;
  io.stderr(`dry-run: ${out.results.length} objects: ${mutated} mutated, ${denied.length} denied, ${out.errors.length} input errors\n`);
  // Said plainly, once: offline, the questions only the cluster answers stay open; the live webhook asks them.
  const unchecked = out.results.filter((r) => r.findings.some((f) => f.action === 'unchecked' || / \(could not check /.test(f.message)));
  if (unchecked.length > 0) {
    io.stderr(`dry-run: ${unchecked.length} objects have checks only the cluster can answer (does the ServiceAccount exist and may it manage ConfigMaps, is the cluster-id unique, is there leftover HA state): the live webhook checks them, and denies a workload whose ServiceAccount does not exist; \`audit --cluster\` answers them for what is deployed\n`);
  }
  return out.errors.length > 0 ? 2 : denied.length > 0 ? 1 : 0;
}
