// `flink-ha-webhook audit FILE|DIR|-` and `audit --cluster`: parses flags, loads config, hands over to src/audit/
// and src/report/. Exit codes are the contract with CI: 0 clean, 1 --fail-on hit, 2 usage or unreadable input (the
// rest is still audited), 3 the cluster could not be reached or timed out. Never a stack trace.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { CliIo } from './io.ts';
import type { Register } from './main.ts';
import { loadConfig, type ConfigResult } from '../config/load.ts';
import type { WebhookConfig } from '../config/types.ts';
import { auditCluster, auditManifestSnapshot } from '../audit/run.ts';
import { manifestSnapshot, readManifests } from '../sources/manifests.ts';
import { failsThreshold, type FailOn } from '../audit/summary.ts';
import type { AuditReport } from '../audit/types.ts';
import { ClusterError } from '../kube/cluster-error.ts';
import { OUTPUT_FORMATS, render, type OutputFormat } from '../report/index.ts';
import { POLICY_REPORT_APIS, type PolicyReportApi } from '../report/policyreport.ts';

export const EXIT = { clean: 0, failOn: 1, input: 2, cluster: 3 } as const;

interface AuditFlags {
  cluster?: boolean;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  output: OutputFormat;
  failOn: FailOn;
  config?: string;
  requestTimeout: string;
  pageSize: string;
  rightsCheck: boolean;
  reportApi: PolicyReportApi;
}

export const registerAudit: Register = (program: Command, io: CliIo, done: (code: number) => void): void => {
  program
    .command('audit')
    .description('Report what the webhook would do to a folder of manifests or a live cluster, and what only a whole cluster shows')
    .argument('[inputs...]', 'manifest files or folders (recursively), or - for stdin')
    .option('--cluster', 'audit the live cluster of the kubeconfig')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .option('-n, --namespace <ns>', 'namespace to audit (cluster: default the context\'s; manifests: for objects that name none)')
    .option('-A, --all-namespaces', 'audit every namespace')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .addOption(new Option('--fail-on <level>', 'exit 1 when a finding reaches this level').choices(['deny', 'warn', 'never']).default('deny'))
    .addOption(new Option('--report-api <api>', '-o policyreport as wgpolicyk8s.io/v1alpha2 PolicyReports or openreports.io/v1alpha1 Reports (Kyverno 1.19, Kubewarden)').choices(POLICY_REPORT_APIS).default('wgpolicyk8s'))
    .option('--config <file>', 'webhook config file (HA ServiceAccount, excluded namespaces, ...); with --cluster the default is the installed webhook\'s own (its ConfigMap)')
    .option('--request-timeout <seconds>', 'per API request', '30')
    .option('--page-size <n>', 'objects per LIST page', '500')
    .option('--no-rights-check', 'skip the ConfigMap rights check of Flink ServiceAccounts (RBAC lists, and 6 SubjectAccessReviews per ServiceAccount RBAC does not cover; the rights stay unchecked)')
    .action(async (inputs: string[], flags: AuditFlags) => {
      done(await runAudit(inputs, flags, io));
    });
};

async function runAudit(inputs: string[], flags: AuditFlags, io: CliIo): Promise<number> {
  const usage = usageError(inputs, flags);
  if (usage) {
    io.stderr(`audit: ${usage}\n`);
    return EXIT.input;
  }
  const progress = stderrProgress(io);
  let report: AuditReport;
  try {
    const loaded = flags.cluster && flags.config === undefined ? await installedConfig(flags, io) : loadConfig({ file: flags.config, env: io.env });
    if (!loaded.ok) {
      for (const e of loaded.errors) io.stderr(`audit: ${e}\n`);
      return EXIT.input;
    }
    const config = loaded.config;
    report = flags.cluster ? await liveAudit(flags, config, progress.update) : await folderAudit(inputs, flags, config, io);
  } catch (err) {
    progress.done();
    if (err instanceof ClusterError) {
      io.stderr(`audit: ${err.message}\n`);
      return err.kind === 'config' ? EXIT.input : EXIT.cluster;
    }
    io.stderr(`audit: unexpected failure: ${err instanceof Error ? err.message : String(err)} (please report this)\n`);
    return EXIT.input;
  }
  progress.done();
  io.stdout(render(flags.output, report, { failOn: flags.failOn, now: new Date(), toolVersion: packageVersion(), policyReportApi: flags.reportApi }));
  for (const e of report.errors) io.stderr(`audit: ${e.where}: ${e.message}\n`);
  for (const f of report.findings.filter((f) => f.rule === 'audit-permission')) io.stderr(`audit: ${f.message}\n`);
  if (report.errors.length > 0) return EXIT.input;
  return failsThreshold(report.findings, flags.failOn) ? EXIT.failOn : EXIT.clean;
}

function usageError(inputs: string[], flags: AuditFlags): string | undefined {
  if (flags.cluster && inputs.length > 0) return 'give either --cluster or manifest inputs, not both';
  if (!flags.cluster && inputs.length === 0) return 'nothing to audit: give manifest files/folders, - for stdin, or --cluster';
  if (!flags.cluster && (flags.kubeconfig || flags.context || flags.allNamespaces)) return '--kubeconfig, --context and -A need --cluster';
  if (flags.namespace !== undefined && flags.allNamespaces) return '-n and -A exclude each other';
  for (const [name, value] of [['--request-timeout', flags.requestTimeout], ['--page-size', flags.pageSize]] as const) {
    if (!/^[1-9]\d*$/.test(value)) return `${name} must be a positive whole number (got '${value}')`;
  }
  return undefined;
}

/**
 * A live audit without --config judges with the config the installed webhook runs with (its ConfigMap), so that
 * the audit and the webhook give one answer; it says on stderr where it found it, or that it used the defaults.
 */
async function installedConfig(flags: AuditFlags, io: CliIo): Promise<ConfigResult> {
  const { loadKubeConfig } = await import('../kube/api-client.ts');
  const { findInstalledConfig } = await import('../sources/installed-config.ts');
  const kc = loadKubeConfig(flags);
  const installed = await findInstalledConfig(kc, Number(flags.requestTimeout) * 1000);
  if (installed.found) {
    io.stderr(`audit: judging with the installed webhook's config: ${installed.where}; --config FILE to judge with another\n`);
    return loadConfig({ text: { yaml: installed.yaml, source: installed.where }, env: io.env });
  }
  const d = loadConfig({ env: io.env });
  if (d.ok) {
    const c = d.config;
    io.stderr(`audit: no installed webhook config found (${installed.why}); judging with the built-in defaults (mode ${c.mode}, guardMode ${c.guardMode}, haServiceAccount ${c.haServiceAccount}, storageDirTemplate ${c.storageDirTemplate ?? 'none'}); --config FILE to judge with yours\n`);
  }
  return d;
}

async function folderAudit(inputs: string[], flags: AuditFlags, config: WebhookConfig, io: CliIo): Promise<AuditReport> {
  const stdinText = inputs.includes('-') ? io.readStdin() : undefined;
  // The CLI reads the sources; the face judges the snapshot (the same one a dry-run of these inputs judges).
  const { snapshot, errors } = manifestSnapshot(readManifests(inputs, stdinText), flags.namespace ?? 'default');
  return auditManifestSnapshot(snapshot, inputs, errors, config);
}

async function liveAudit(flags: AuditFlags, config: WebhookConfig, progress: (text: string) => void): Promise<AuditReport> {
  // The Kubernetes client (~1.5 s of start-up under tsx, ~0.5 s compiled) is loaded only for a live audit.
  const { readCluster } = await import('../sources/cluster.ts');
  const read = await readCluster({
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    namespace: flags.namespace,
    allNamespaces: flags.allNamespaces === true,
    pageSize: Number(flags.pageSize),
    timeoutMs: Number(flags.requestTimeout) * 1000,
    rightsCheck: flags.rightsCheck,
    config,
    progress,
  });
  progress(`judging ${read.snapshot.objects.length} objects`);
  return auditCluster(read, config);
}

/** One rewritten status line on stderr, only when stderr is a terminal (never in pipes, files or CI logs). */
function stderrProgress(io: CliIo): { update: (text: string) => void; done: () => void } {
  if (!io.stderrIsTTY) return { update: () => undefined, done: () => undefined };
  let shown = false;
  let last = 0;
  return {
    update: (text) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      io.stderr(`\r\x1b[2K${text}`);
    },
    done: () => {
      if (shown) io.stderr('\r\x1b[2K');
    },
  };
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
