// The webhook under test: `flink-ha-webhook serve` on 127.0.0.1 (its dev CA and serving cert generated into a
// temp cert dir on first start), and the webhook configurations of manifests/ registered with only their
// clientConfig swapped for a URL on that port.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { freePort, httpsGet, REPO_ROOT, type ControlPlane } from './control-plane.ts';
import { childEnv, spawnManaged, tailOf, waitFor, type Managed } from './processes.ts';

/** The e2e tests' config: the defaults plus a storageDir template. */
export const E2E_CONFIG_FILE = join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'webhook-config.yaml');

/**
 * The ConfigMap the chart and manifests/ install the webhook's config as (`flink-ha-webhook-config`, key webhook.yaml,
 * labelled app.kubernetes.io/name=flink-ha-webhook), holding `configFile`: the sandbox publishes the config its
 * webhook runs with there, as an install does, so a live audit reads the same one.
 */
export function webhookConfigMap(configFile = E2E_CONFIG_FILE, namespace = 'flink-ha-webhook') {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'flink-ha-webhook-config', namespace, labels: { 'app.kubernetes.io/name': 'flink-ha-webhook' } },
    data: { 'webhook.yaml': readFileSync(configFile, 'utf8') },
  };
}

export interface WebhookOptions {
  /** A config file for `serve --config` (default E2E_CONFIG_FILE; null for none). */
  configFile?: string | null;
  /** Extra `serve` flags. */
  args?: string[];
  /** Extra environment (e.g. POD_NAME: the identity two replicas compete for the leader Lease with). */
  env?: Record<string, string>;
  /** With a plane started with webhookClientAuth: verify the API server's client certificate (default true). */
  clientAuth?: boolean;
}

export interface Webhook {
  port: number;
  /** Base URL, https://127.0.0.1:<port>. */
  url: string;
  certDir: string;
  /** The dev CA that signed the serving cert (PEM): the caBundle of the registered configurations. */
  caPem(): string;
  process(): Managed;
  /** Stops the server (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same cert dir (so the registered caBundle stays valid). */
  start(): Promise<void>;
  /** The server's log so far. */
  log(): string;
}

const bin = join(REPO_ROOT, 'bin', 'flink-ha-webhook.mjs');

export async function startWebhook(plane: ControlPlane, options: WebhookOptions = {}): Promise<Webhook> {
  const port = await freePort();
  const certDir = join(plane.dir, 'webhook-certs');
  mkdirSync(certDir, { recursive: true });
  const url = `https://127.0.0.1:${port}`;
  const args = [
    bin, 'serve', '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir,
    '--kubeconfig', plane.kubeconfigPath,
  ];
  const configFile = options.configFile === undefined ? E2E_CONFIG_FILE : options.configFile;
  if (configFile !== null) args.push('--config', configFile);
  args.push(...(options.args ?? []));
  // The client CA goes in by env (FLINK_HA_CLIENT_CA_FILE), so any --config file still applies.
  const clientCa = options.clientAuth !== false ? plane.webhookClient?.caCert : undefined;
  const env = childEnv({ ...options.env, ...(clientCa === undefined ? {} : { FLINK_HA_CLIENT_CA_FILE: clientCa }) });

  // The webhook's own namespace holds the Lease of the replica that keeps the flink-ha.io/ha-state labels.
  await plane.kubectlOk(['apply', '--server-side', '--field-manager=flink-ha-e2e', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flink-ha-webhook' } }),
  });
  let current: Managed | undefined;
  const start = async () => {
    if (current?.isRunning()) return;
    const proc = spawnManaged('webhook', process.execPath, args, { dir: plane.dir, cwd: REPO_ROOT, env });
    current = proc;
    await waitFor(
      `the webhook's /readyz on ${url}`,
      async () => {
        // The CA appears on first start; until then there is nothing to trust.
        const ca = readFileSync(join(certDir, 'ca.crt'));
        await httpsGet(`${url}/readyz`, { ca });
        return true;
      },
      { alive: proc, timeoutMs: 60_000 },
    );
  };
  await start();
  const plane_ = plane;
  const webhook: Webhook = {
    port,
    url,
    certDir,
    caPem: () => readFileSync(join(certDir, 'ca.crt'), 'utf8'),
    process: () => current!,
    stop: async () => {
      await current?.stop();
    },
    start,
    log: () => tailOf(join(plane_.dir, 'webhook.log'), 100_000),
  };
  return webhook;
}

export type WebhookConfiguration = {
  apiVersion: string;
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  metadata: { name: string; [k: string]: unknown };
  webhooks: Array<{ name: string; clientConfig: { service?: { path?: string }; url?: string; caBundle?: string } }>;
};

const WEBHOOK_KINDS = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

/** The webhook configurations exactly as `kubectl apply -k manifests/` would install them (kustomize output). */
export async function manifestWebhookConfigurations(plane: ControlPlane): Promise<WebhookConfiguration[]> {
  const rendered = await plane.kubectlOk(['kustomize', join(REPO_ROOT, 'manifests')]);
  return yaml
    .loadAll(rendered)
    .filter((doc): doc is WebhookConfiguration => WEBHOOK_KINDS.has((doc as { kind?: string } | null)?.kind ?? ''));
}

/** manifests/' configurations with each clientConfig pointing at `webhook` (URL + its dev CA), nothing else changed. */
export async function localWebhookConfigurations(
  plane: ControlPlane,
  webhook: Pick<Webhook, 'url' | 'caPem'>,
): Promise<WebhookConfiguration[]> {
  const caBundle = Buffer.from(webhook.caPem()).toString('base64');
  return (await manifestWebhookConfigurations(plane)).map((config) => ({
    ...config,
    webhooks: config.webhooks.map((w) => {
      const path = w.clientConfig.service?.path;
      if (path === undefined) throw new Error(`manifests: webhook ${w.name} has no clientConfig.service.path`);
      return { ...w, clientConfig: { url: `${webhook.url}${path}`, caBundle } };
    }),
  }));
}

export const PROBE_NAMESPACE = 'flink-ha-e2e-probe';

/**
 * Registers the configurations and waits until the API server really calls the webhook: a server-side dry-run
 * create of a probe ConfigMap that every namespaced webhook matches (a Flink config ConfigMap carrying the HA
 * `type` label, written by the admin), repeated until the API server's own metrics count a call to each of them.
 * The API server's count, not the webhook's answer, is the signal: it holds whatever the policy decides.
 */
export async function registerWebhooks(plane: ControlPlane, webhook: Webhook): Promise<void> {
  const configs = await localWebhookConfigurations(plane, webhook);
  await plane.kubectlOk(['apply', '--server-side', '--force-conflicts', '--field-manager=flink-ha-e2e', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: configs }),
  });
  // The probe is a ConfigMap: the namespace and flink-resources entries never match it. They live in the same
  // ValidatingWebhookConfiguration as entries that do, so they are live when those are called.
  await waitUntilCalled(plane, webhook, configs.flatMap((c) => c.webhooks.map((w) => w.name)).filter((n) => !n.endsWith('namespaces.flink-ha.io') && n !== 'flink-resources.flink-ha.io'));
}

async function waitUntilCalled(plane: ControlPlane, webhook: Webhook, names: string[]): Promise<void> {
  await plane.kubectl(['create', 'namespace', PROBE_NAMESPACE]);
  const before = await webhookCallCounts(plane, 'any');
  let n = 0;
  await waitFor(
    `the API server to call the webhook (${names.join(', ')})`,
    async () => {
      n += 1;
      const probe = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `flink-config-probe-${n}`,
          namespace: PROBE_NAMESPACE,
          labels: { type: 'flink-native-kubernetes', app: 'probe', 'configmap-type': 'high-availability' },
        },
        data: { 'flink-conf.yaml': 'high-availability.type: kubernetes\n' },
      };
      await plane.kubectl(['create', '--dry-run=server', '-o', 'name', '-f', '-'], { input: JSON.stringify(probe) });
      const after = await webhookCallCounts(plane, 'any');
      return names.every((name) => (after.get(name) ?? 0) > (before.get(name) ?? 0)) ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 300, alive: webhook.process() },
  );
}

/** Calls the API server made to each webhook that got an HTTP answer, from its /metrics. */
/**
 * The API server's count of calls per webhook: by default those answered 200 (allowed or denied in the review);
 * `any` also counts calls answered with another HTTP status (a 4xx/5xx, or a timeout's), but never code 0.
 */
/** Every call the API server made or tried to make to any webhook, answered or not (code 0: no answer). */
export async function webhookAttempts(plane: ControlPlane): Promise<number> {
  return (await plane.get('/metrics'))
    .split('\n')
    .filter((line) => line.startsWith('apiserver_admission_webhook_request_total{'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

export async function webhookCallCounts(plane: ControlPlane, which: 'ok' | 'any' = 'ok'): Promise<Map<string, number>> {
  const metrics = await plane.get('/metrics');
  const counts = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_admission_webhook_request_total{')) continue;
    const name = /[{,]name="([^"]+)"/.exec(line)?.[1];
    const code = /[{,]code="(\d+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (name === undefined || code === undefined || code === '0' || (which === 'ok' && code !== '200')) continue;
    counts.set(name, (counts.get(name) ?? 0) + value);
  }
  return counts;
}

/** Removes the registered configurations (e.g. before stopping the webhook at the end of a test file). */
export async function unregisterWebhooks(plane: ControlPlane): Promise<void> {
  await plane.kubectl([
    'delete', '--ignore-not-found', 'mutatingwebhookconfiguration/flink-ha-webhook',
    'validatingwebhookconfiguration/flink-ha-webhook',
  ]);
}
