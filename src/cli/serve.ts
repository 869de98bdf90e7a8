// `flink-ha-webhook serve`: parses flags, loads config (file < env < flags), picks how the policy sees the
// cluster (kubeconfig, in-cluster, or offline), starts the HTTPS server and wires SIGTERM to a graceful stop.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { CliIo } from './io.ts';
import type { Register } from './main.ts';
import { loadConfig } from '../config/load.ts';
import { OFFLINE_CLUSTER, type ClusterView } from '../policy/types.ts';
import { createLogger, type Logger } from '../server/logger.ts';
import { startWebhookServer } from '../server/server.ts';
import type { BackgroundAudit } from '../server/background-audit.ts';

interface ServeFlags {
  port?: number;
  host?: string;
  certDir?: string;
  config?: string;
  kubeconfig?: string;
  logLevel?: string;
}

export const registerServe: Register = (program: Command, io: CliIo, done: (code: number) => void): void => {
  program
    .command('serve')
    .description('run the admission webhook over HTTPS: POST /mutate, POST /validate, GET /healthz, /readyz, /metrics')
    .option('--port <port>', 'port to listen on (default 8443)', parsePort)
    .option('--host <address>', 'address to listen on (default 0.0.0.0)')
    .option('--cert-dir <dir>', 'directory with tls.crt, tls.key, ca.crt; dev certificates are generated here when missing (default certs/)')
    .option('--config <file>', 'YAML config file')
    .option('--kubeconfig <file>', 'kubeconfig for cluster lookups (default: in-cluster when KUBERNETES_SERVICE_HOST is set, else offline)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action(async (flags: ServeFlags) => {
      done(await serve(flags, io));
    });
};

async function serve(flags: ServeFlags, io: CliIo): Promise<number> {
  const loaded = loadConfig({
    ...(flags.config ? { file: flags.config } : {}),
    env: io.env,
    overrides: {
      server: { port: flags.port, host: flags.host },
      tls: { certDir: flags.certDir },
      logLevel: flags.logLevel,
    },
  });
  if (!loaded.ok) {
    for (const e of loaded.errors) io.stderr(`flink-ha-webhook serve: ${e}\n`);
    return 2;
  }
  const config = loaded.config;
  const logger = createLogger({ level: config.logLevel });
  const connected = await clusterViewFor(flags.kubeconfig, config.imagePatterns, logger, io);
  if (!connected) return 2;
  // FlinkHAExceptions from a watch: the first list is awaited (bounded) so that an exempt workload is not judged
  // without its exception right after a restart; until it is in, reviews say they could not check them.
  const exceptions = connected.kubeConfig ? (await import('../kube/exceptions-watch.ts')).watchExceptions(connected.kubeConfig, logger) : undefined;
  if (exceptions && !(await exceptions.synced(5000))) logger.warn('FlinkHAExceptions not listed within 5 s: none applies until they are');
  const cluster: ClusterView = exceptions ? { ...connected.cluster, exceptions: () => exceptions.current() } : connected.cluster;

  // The background audit is told of allowed reviews; it starts after the server (it needs the metrics).
  let audit: BackgroundAudit | undefined;
  let auditThread: { close(): Promise<void> } | undefined;
  let webhook;
  try {
    webhook = await startWebhookServer({ config, cluster, logger, onAllowed: () => audit?.poke() });
  } catch (err) {
    logger.fatal({ reason: (err as Error).message }, `could not start: ${(err as Error).message}`);
    exceptions?.stop();
    logger.flush();
    return 1;
  }
  // The cluster-wide chores (namespace labels, background audit) are done by one replica: the leader Lease's holder.
  const kc = connected.kubeConfig;
  const wantsLabels = kc !== undefined && config.haStateNamespaceLabel !== '';
  const wantsAudit = kc !== undefined && config.backgroundAudit.enabled;
  const election = wantsLabels || wantsAudit
    ? (await import('../server/leader-election.ts')).startLeaderElection(kc, { namespace: config.webhookNamespace, identity: io.env.POD_NAME ?? hostname(), logger })
    : undefined;
  // Marks the namespaces holding HA state, so that only their deletion waits on this webhook (fail closed).
  const labeler = wantsLabels && election
    ? (await import('../kube/namespace-labeler.ts')).startNamespaceLabeler(kc, config, logger, election)
    : undefined;
  if (wantsAudit && election) {
    const { startBackgroundAudit, workerAudit, reportStoreOf } = await import('../server/background-audit.ts');
    const reports = config.backgroundAudit.reports ? reportStoreOf(kc) : undefined;
    const thread = workerAudit(flags.kubeconfig, config);
    auditThread = thread;
    audit = startBackgroundAudit({
      config, logger, metrics: webhook.metrics, election, audit: thread,
      ...(reports ? { store: reports.store, storeRequests: reports.requests } : {}),
    });
  }
  const shown = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  // A mounted Secret may carry only tls.crt and tls.key; then the CA bundle lives wherever the cluster's does.
  const caBundle = existsSync(webhook.caPath) ? resolve(webhook.caPath) : `(no ${webhook.caPath}: the CA that signed tls.crt)`;
  const local = `https://${shown}:${webhook.port}`;
  logger.info(
    { url: local, host: config.server.host, port: webhook.port, caBundle },
    `listening on https://${config.server.host}:${webhook.port} (here: ${local}); CA bundle: ${caBundle}`,
  );
  logger.info(`try it: curl --cacert ${webhook.caPath} -H 'content-type: application/json' --data @test/fixtures/reviews/pod-create.json ${local}/mutate`);
  logger.info(
    `point a cluster at it: webhook configurations with clientConfig.url https://<address the API server reaches>:${webhook.port}/mutate and /validate, caBundle: $(base64 -w0 ${caBundle}) (or deploy manifests/)`,
  );

  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        logger.flush();
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'signal received');
      // SIGTERM comes from the kubelet: drain so the Service stops routing here first. Ctrl-C needs no drain.
      labeler?.stop();
      exceptions?.stop();
      audit?.stop();
      void auditThread?.close();
      election?.stop();
      void webhook.shutdown({ drain: signal === 'SIGTERM' }).then(() => connected.stop?.()).then(done);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  logger.flush();
  return 0;
}

/**
 * client-node is loaded only when there is a cluster to ask: it costs ~75 MB of RSS, which an offline webhook
 * (local runs, the benchmark) should not pay.
 */
async function clusterViewFor(kubeconfig: string | undefined, imagePatterns: string[], logger: Logger, io: CliIo): Promise<{ cluster: ClusterView; kubeConfig?: KubeConfig; stop?: () => Promise<void> } | undefined> {
  if (!kubeconfig && !io.env.KUBERNETES_SERVICE_HOST) {
    logger.warn('offline: no --kubeconfig and not in a cluster; rules that need the cluster answer "could not check"');
    return { cluster: OFFLINE_CLUSTER };
  }
  const [{ KubeConfig }, { apiClusterView }, { watchCluster }] = await Promise.all([import('@kubernetes/client-node'), import('../kube/api-cluster-view.ts'), import('../kube/watched-cluster.ts')]);
  const kc = new KubeConfig();
  try {
    if (kubeconfig) {
      kc.loadFromFile(kubeconfig);
      logger.info({ kubeconfig, context: kc.getCurrentContext() }, 'cluster lookups use the kubeconfig');
    } else {
      kc.loadFromCluster();
      logger.info('cluster lookups use the in-cluster ServiceAccount');
    }
  } catch (err) {
    io.stderr(`flink-ha-webhook serve: cannot read the kubeconfig: ${(err as Error).message}\n`);
    return undefined;
  }
  // Informers over what the policy reads (watched-cluster.ts): reviews answer from them once synced, and from the
  // API server until then (so no wait here), and whenever a watch is down.
  const watched = watchCluster(kc, {
    imagePatterns,
    // Logged on the 1st, 2nd, 4th, 8th... failure of a watch: one that cannot start (no CRD, no RBAC) retries every 30 s.
    onError: (name, err, attempt) => {
      if ((attempt & (attempt - 1)) === 0) logger.warn({ informer: name, attempt, err: ((err as Error)?.message ?? String(err)).split('\n')[0] }, `watch of ${name} lost; answering from the API server until it is back`);
    },
  });
  void Promise.all(watched.all.map((i) => i.whenSynced())).then(() => logger.info('cluster view: every informer synced'));
  return { cluster: apiClusterView(kc, { imagePatterns, watched }), kubeConfig: kc, stop: () => watched.stop() };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('a port number from 1 to 65535');
  return port;
}
