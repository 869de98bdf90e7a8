// etcd + kube-apiserver on free loopback ports with their own PKI, RBAC on, the ServiceAccount admission plugin
// on, an admin kubeconfig, kube-controller-manager and kube-scheduler, and the Flink operator's CRDs installed.
// No node: Pods are created and stay Pending.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { freePort } from '../../support/free-port.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ensureBinaries, type Binaries } from './binaries.ts';
import { startControllers, waitForControllers } from './controllers.ts';
import { apiServerNodeFlags, authorizationModes, blackholeServiceCidr } from './node-apiserver.ts';
import { adminKubeconfig, makePki, makeWebhookClientPki, writeAdmissionConfiguration, type Pki, type WebhookClientPki } from './pki.ts';
import {
  childEnv,
  spawnManaged,
  startWatchdog,
  trackDir,
  untrackDir,
  waitFor,
  writePrivate,
  type Managed,
} from './processes.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

export interface KubectlOptions {
  /** Impersonate this user (`--as`), e.g. `system:serviceaccount:ns:flink`. */
  as?: string;
  /** Extra groups to impersonate (`--as-group`). */
  asGroups?: string[];
  /** Another kubeconfig (e.g. a ServiceAccount token's, from identities.ts) instead of the admin's. */
  kubeconfig?: string;
  /** Written to kubectl's stdin (for `-f -`). */
  input?: string;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export { freePort };

export interface ControlPlane {
  binaries: Binaries;
  /** Temp dir holding the PKI, logs, etcd data and the kubeconfig; removed on stop. */
  dir: string;
  server: string;
  kubeconfigPath: string;
  pki: Pki;
  /** The admin's client-node config. */
  kubeConfig: KubeConfig;
  /** Runs the real kubectl as admin (or impersonating `options.as`); never throws on a non-zero exit. */
  kubectl(args: string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** Like kubectl, but throws with stderr when the exit code is not 0; returns stdout. */
  kubectlOk(args: string[], options?: KubectlOptions): Promise<string>;
  /** GET a path of the API server as admin (e.g. /metrics); returns the body. */
  get(path: string): Promise<string>;
  etcd: Managed;
  apiserver: Managed;
  controllerManager: Managed;
  scheduler: Managed;
  /** Started with `node: true`: a kubelet may join (startNode in node.ts). */
  node: boolean;
  /** Started with `webhookClientAuth: true`: the CA the webhook should trust and the API server's client cert. */
  webhookClient?: WebhookClientPki;
  stop(): Promise<void>;
}

/** Where shared/ lives: beside the repo (as CI lays it out), or FLINK_HA_SHARED. */
export function sharedDir(): string {
  const candidates = [process.env.FLINK_HA_SHARED, join(REPO_ROOT, '..', 'shared')].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  const found = candidates.find((p) => existsSync(join(p, 'upstream')));
  if (!found) throw new Error(`shared/ not found (looked in ${candidates.join(', ')}); set FLINK_HA_SHARED`);
  return found;
}

const CRDS = ['flinkdeployments.flink.apache.org-v1.yml', 'flinksessionjobs.flink.apache.org-v1.yml'];

export interface ControlPlaneOptions {
  /** Install the FlinkDeployment and FlinkSessionJob CRDs (default true). */
  crds?: boolean;
  /** Ready for a real node (node.ts): Node authorization, NodeRestriction, kubelet client and CA flags,
   * aggregator routing, and a blackhole route for the service CIDR for as long as the control plane lives. */
  node?: boolean;
  /** The API server presents a client certificate to every webhook (an AdmissionConfiguration, see pki.ts);
   * the webhook verifies it with `plane.webhookClient.caCert` (startWebhook passes it as tls.clientCaFile). */
  webhookClientAuth?: boolean;
  /** Write an audit log of the flink.apache.org writes (Metadata level: carries the webhooks' audit annotations)
   * to `<dir>/audit.log`, one JSON event per line. */
  auditLog?: boolean;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = await ensureBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'flink-ha-e2e-'));
  trackDir(dir);
  const retireWatchdog = startWatchdog(dir);
  const started: Managed[] = [];
  const stop = async () => {
    for (const p of started.reverse()) await p.stop();
    retireWatchdog();
    untrackDir(dir);
  };
  try {
    if (options.node) blackholeServiceCidr(dir);
    const pki = await makePki(dir);
    const webhookClient = options.webhookClientAuth ? await makeWebhookClientPki(dir) : undefined;
    const [etcdPort, peerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = spawnManaged(
      'etcd',
      binaries.etcd,
      [
        '--name=e2e',
        `--data-dir=${join(dir, 'etcd-data')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=e2e=${peerUrl}`,
        // A throw-away store: durability costs seconds of fsync on a shared disk and buys nothing here.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      { dir },
    );
    started.push(etcd);
    await waitFor('etcd /health', async () => ((await httpGet(`${etcdUrl}/health`)).includes('true') ? true : undefined), {
      alive: etcd,
      timeoutMs: 30_000,
    });

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = spawnManaged(
      'kube-apiserver',
      binaries.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--authorization-mode=${authorizationModes(options.node === true)}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        // The default plugin set, ServiceAccount included: it rejects Pods whose ServiceAccount does not exist.
        '--enable-admission-plugins=ServiceAccount,NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
        '--allow-privileged=true',
        '--profiling=false',
        // No kubelets, no nodes: skip the endpoint reconciler's lease churn.
        '--endpoint-reconciler-type=none',
        '--v=1',
        ...(options.node ? apiServerNodeFlags(pki) : []),
        ...(webhookClient ? [`--admission-control-config-file=${writeAdmissionConfiguration(dir, webhookClient)}`] : []),
        ...(options.auditLog ? auditLogFlags(dir) : []),
      ],
      { dir },
    );
    started.push(apiserver);
    const kubeconfigPath = join(dir, 'kubeconfig');
    writePrivate(kubeconfigPath, adminKubeconfig(pki, server));
    const tls = {
      ca: readFileSync(pki.caCert),
      cert: readFileSync(pki.adminCert),
      key: readFileSync(pki.adminKey),
    };
    const get = (path: string) => httpsGet(`${server}${path}`, tls);
    await waitFor('kube-apiserver /readyz', async () => ((await get('/readyz')) === 'ok' ? true : undefined), {
      alive: apiserver,
      timeoutMs: 90_000,
    });

    const controllers = startControllers({ binaries, dir, pki, server }, started);

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const kubectl = (args: string[], opts: KubectlOptions = {}) => runKubectl(binaries.kubectl, kubeconfigPath, args, opts);
    const kubectlOk = async (args: string[], opts: KubectlOptions = {}) => {
      const r = await kubectl(args, opts);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
      return r.stdout;
    };
    const plane: ControlPlane = {
      binaries, dir, server, kubeconfigPath, pki, kubeConfig, kubectl, kubectlOk, get, etcd, apiserver, stop, ...controllers,
      node: options.node === true,
      ...(webhookClient ? { webhookClient } : {}),
    };
    // The controllers start up while the CRDs are installed: together they take no longer than the CRDs alone.
    await Promise.all([
      waitForControllers(controllers, get),
      options.crds !== false ? installCrds(plane) : undefined,
    ]);
    return plane;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The operator's CRDs, unmodified from shared/upstream; server-side apply because the FlinkDeployment CRD is
 * larger than the last-applied annotation allows. */
async function installCrds(plane: ControlPlane): Promise<void> {
  const crdDir = join(sharedDir(), 'upstream', 'flink-kubernetes-operator', 'crds');
  const args = ['apply', '--server-side', '--field-manager=flink-ha-e2e'];
  for (const file of CRDS) args.push('-f', join(crdDir, file));
  await plane.kubectlOk(args);
  // `kubectl wait` fails outright while a new CRD has no status yet, so poll its conditions instead.
  const names = ['flinkdeployments.flink.apache.org', 'flinksessionjobs.flink.apache.org'];
  const established = '{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\\n"}{end}';
  await waitFor('the Flink CRDs to be Established', async () => {
    const out = await plane.kubectlOk(['get', 'crd', ...names, '-o', `jsonpath=${established}`]);
    return names.every((n) => out.includes(`${n}=True`)) ? true : undefined;
  }, { timeoutMs: 60_000, alive: plane.apiserver });
  // Established is not yet servable: lists answer 429 "storage is (re)initializing" until the watch cache is
  // up. kubectl retries those by itself, but the webhook's lookups (client-node) do not.
  await waitFor('the Flink CRDs to be listable', async () => {
    await plane.get('/apis/flink.apache.org/v1beta1/flinkdeployments?limit=1');
    await plane.get('/apis/flink.apache.org/v1beta1/flinksessionjobs?limit=1');
    return true;
  }, { timeoutMs: 60_000, alive: plane.apiserver });
}

function runKubectl(kubectl: string, kubeconfig: string, args: string[], opts: KubectlOptions): Promise<KubectlResult> {
  const config = opts.kubeconfig ?? kubeconfig;
  const full = [`--kubeconfig=${config}`];
  if (opts.as !== undefined) full.push(`--as=${opts.as}`);
  for (const group of opts.asGroups ?? []) full.push(`--as-group=${group}`);
  full.push(...args);
  return new Promise((resolveRun) => {
    const child = execFile(
      kubectl,
      full,
      { env: childEnv({ KUBECONFIG: config }), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolveGet, reject) => {
    const req = httpRequest(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolveGet(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export function httpsGet(url: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<string> {
  return new Promise((resolveGet, reject) => {
    const req = httpsRequest(url, { ...tls, timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        (res.statusCode ?? 0) < 400 ? resolveGet(body) : reject(new Error(`GET ${url}: ${res.statusCode} ${body}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** An audit policy that records writes of Flink resources at Metadata level (where admission audit annotations are). */
function auditLogFlags(dir: string): string[] {
  const policy = join(dir, 'audit-policy.yaml');
  writeFileSync(policy, [
    'apiVersion: audit.k8s.io/v1',
    'kind: Policy',
    'omitStages: [RequestReceived]',
    'rules:',
    '  - level: Metadata',
    '    resources: [{group: flink.apache.org}]',
    '    verbs: [create, update, patch, delete]',
    '  - level: None',
    '',
  ].join('\n'));
  return [`--audit-policy-file=${policy}`, `--audit-log-path=${join(dir, 'audit.log')}`, '--audit-log-mode=blocking'];
}
