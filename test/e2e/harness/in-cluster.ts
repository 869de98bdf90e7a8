// The webhook as a user runs it: the image built from the top-level Containerfile, imported into the real
// node's containerd, installed by `kubectl apply -k` of manifests/ through a kustomize overlay that changes only
// the image and the webhook configurations' caBundle. The API server reaches it through its Service
// (aggregator routing: the API server dials a ready endpoint's Pod IP on the harness's bridge).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { V1ConfigMap } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { REPO_ROOT, type ControlPlane } from './control-plane.ts';
import { waitFor } from './processes.ts';
import { manifestWebhookConfigurations, webhookCallCounts, webhookConfigMap } from './webhook.ts';

const run = promisify(execFile);

export const WEBHOOK_NAMESPACE = 'flink-ha-webhook';
const SERVICE = 'flink-ha-webhook';
const SECRET = 'flink-ha-webhook-tls';
/** The image name manifests/base/deployment.yaml uses; the overlay swaps it for the built one. */
const MANIFEST_IMAGE = 'flink-ha-webhook';

export interface ImageToRun {
  /** e.g. flink-ha-e2e.local/flink-ha-webhook:<hash> */
  ref: string;
  /** An OCI archive that `ctr images import` names `ref`. */
  archive: string;
}

export interface NodeToRunOn {
  importImage(archive: string): Promise<void>;
}

export interface InClusterWebhook {
  overlayDir: string;
  /** The serving CA (PEM) that the overlay put into every caBundle. */
  caPem: string;
  /** Names and IPs of the webhook's Pods that are Ready. */
  readyPods(): Promise<Array<{ name: string; ip: string }>>;
  /** Scales the Deployment and waits until that many replicas serve (0: until none is left). */
  scale(replicas: number): Promise<void>;
  /** Waits until `replicas` Pods are Ready, listed as ready endpoints, and the API server calls them. */
  waitServing(replicas?: number): Promise<void>;
  /** A new serving certificate from the same CA, written into the Secret in place; returns its serial (hex). */
  rotateServingCert(): Promise<string>;
  /** The serial (hex) of the certificate a Pod serves right now. */
  servedSerial(podIp: string): Promise<string>;
  /** `kubectl delete -k` of the overlay: every object of manifests/ goes. */
  uninstall(): Promise<void>;
}

interface Tls {
  dir: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA for the webhook's serving certificates (kept for rotations). */
async function makeCa(dir: string): Promise<Tls> {
  mkdirSync(dir, { recursive: true });
  await openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key']);
  await openssl(dir, [
    'req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=flink-ha-webhook-e2e-ca', '-days', '2', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', 'ca.crt',
  ]);
  return { dir };
}

/** A serving certificate for the Service's DNS names, the names the API server checks; returns its serial. */
async function issueServingCert(tls: Tls): Promise<string> {
  const serial = randomBytes(16).toString('hex').replace(/^0+/, '').toUpperCase();
  const dns = [SERVICE, `${SERVICE}.${WEBHOOK_NAMESPACE}`, `${SERVICE}.${WEBHOOK_NAMESPACE}.svc`, `${SERVICE}.${WEBHOOK_NAMESPACE}.svc.cluster.local`];
  writeFileSync(
    join(tls.dir, 'tls.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}`,
    ].join('\n'),
  );
  await openssl(tls.dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'tls.key']);
  await openssl(tls.dir, ['req', '-new', '-key', 'tls.key', '-subj', `/CN=${SERVICE}.${WEBHOOK_NAMESPACE}.svc`, '-out', 'tls.csr']);
  await openssl(tls.dir, [
    'x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${serial}`,
    '-days', '2', '-sha256', '-extfile', 'tls.ext', '-out', 'tls.crt',
  ]);
  return serial;
}

function secretManifest(tls: Tls): string {
  const b64 = (f: string) => readFileSync(join(tls.dir, f)).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: SECRET, namespace: WEBHOOK_NAMESPACE },
    data: { 'tls.crt': b64('tls.crt'), 'tls.key': b64('tls.key'), 'ca.crt': b64('ca.crt') },
  });
}

/**
 * The tests' overlay: manifests/ as its only resource, the image swapped, caBundle set on every webhook (a
 * strategic-merge patch keyed by webhook name), and the config ConfigMap holding the e2e config (the chart's
 * first-install default is warn mode; the tests and the sandbox run enforce with a storageDir template).
 */
export async function writeOverlay(plane: ControlPlane, dir: string, image: ImageToRun, caPem: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const at = image.ref.lastIndexOf(':');
  const caBundle = Buffer.from(caPem).toString('base64');
  const patches: Array<{ target: { kind: string; name: string }; patch: string }> = (await manifestWebhookConfigurations(plane)).map((config) => ({
    target: { kind: config.kind, name: config.metadata.name },
    patch: yaml.dump({
      apiVersion: config.apiVersion,
      kind: config.kind,
      metadata: { name: config.metadata.name },
      webhooks: config.webhooks.map((w) => ({ name: w.name, clientConfig: { caBundle } })),
    }),
  }));
  // The config of the e2e tests and the plain sandbox (a storageDir template, enforce): both modes run one config.
  const config = webhookConfigMap();
  patches.push({
    target: { kind: 'ConfigMap', name: config.metadata.name },
    patch: yaml.dump({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: config.metadata.name }, data: config.data }),
  });
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    // kustomize takes no absolute roots: the repo's manifests/, relative to the overlay in the plane's temp dir.
    resources: [relative(dir, join(REPO_ROOT, 'manifests'))],
    images: [{ name: MANIFEST_IMAGE, newName: image.ref.slice(0, at), newTag: image.ref.slice(at + 1) }],
    patches,
  };
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `# Written by test/e2e/harness/in-cluster.ts: manifests/ with only the image and caBundle changed.\n${yaml.dump(kustomization)}`,
  );
}

/** Installs the webhook into the cluster and waits until two replicas serve the API server's calls. */
export async function installWebhookInCluster(
  plane: ControlPlane,
  node: NodeToRunOn,
  image: ImageToRun,
): Promise<InClusterWebhook> {
  await node.importImage(image.archive);
  const tls = await makeCa(join(plane.dir, 'in-cluster-tls'));
  await issueServingCert(tls);
  const caPem = readFileSync(join(tls.dir, 'ca.crt'), 'utf8');
  const overlayDir = join(plane.dir, 'in-cluster-overlay');
  await writeOverlay(plane, overlayDir, image, caPem);

  // The Secret first, in the namespace manifests/ declares, so that the Pods mount it at their first start.
  await plane.kubectlOk(['create', 'namespace', WEBHOOK_NAMESPACE]);
  await plane.kubectlOk(['apply', '-f', '-'], { input: secretManifest(tls) });
  await plane.kubectlOk(['apply', '-k', overlayDir]);

  const { readyPods, waitServing } = webhookServing(plane, WEBHOOK_NAMESPACE, SERVICE);
  await waitServing(2);
  return {
    overlayDir,
    caPem,
    readyPods,
    waitServing,
    scale: async (replicas) => {
      await plane.kubectlOk(['scale', '-n', WEBHOOK_NAMESPACE, `deployment/${SERVICE}`, `--replicas=${replicas}`]);
      if (replicas === 0) {
        await waitFor('every webhook Pod gone', async () => {
          const out = await plane.kubectlOk(['get', 'pods', '-n', WEBHOOK_NAMESPACE, '-l', `app.kubernetes.io/name=${SERVICE}`, '-o', 'name']);
          return out.trim() === '' ? true : undefined;
        }, { timeoutMs: 120_000, intervalMs: 500 });
      }
      await waitServing(replicas);
    },
    rotateServingCert: async () => {
      const serial = await issueServingCert(tls);
      await plane.kubectlOk(['apply', '-f', '-'], { input: secretManifest(tls) });
      return serial;
    },
    servedSerial: (podIp) => servedSerial(podIp, caPem),
    uninstall: async () => {
      await plane.kubectlOk(['delete', '-k', overlayDir, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    },
  };
}

/**
 * The webhook's Pods and Service in `namespace` (Pods labelled app.kubernetes.io/name=flink-ha-webhook, as
 * manifests/ and the chart label them): which Pods are Ready, and a wait until a number of them serve the API
 * server's calls through the Service.
 */
export function webhookServing(plane: ControlPlane, namespace: string, service: string) {
  const readyPods = async () => {
    const out = await plane.kubectlOk(['get', 'pods', '-n', namespace, '-l', 'app.kubernetes.io/name=flink-ha-webhook', '-o', 'json']);
    const pods = (JSON.parse(out) as { items: PodJson[] }).items;
    return pods
      .filter((p) => p.metadata.deletionTimestamp === undefined)
      .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => ({ name: p.metadata.name, ip: p.status?.podIP ?? '' }));
  };

  const readyEndpoints = async () => {
    const out = await plane.kubectlOk([
      'get', 'endpointslices', '-n', namespace, '-l', `kubernetes.io/service-name=${service}`, '-o', 'json',
    ]);
    const slices = (JSON.parse(out) as { items: Array<{ endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> }> }).items;
    return slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true).flatMap((e) => e.addresses);
  };

  const waitServing = async (replicas = 2) => {
    await waitFor(`${replicas} webhook Pods Ready and listed as ready endpoints of the Service`, async () => {
      const [pods, endpoints] = await Promise.all([readyPods(), readyEndpoints()]);
      const ips = pods.map((p) => p.ip).sort();
      return pods.length === replicas && endpoints.length === replicas && endpoints.sort().join() === ips.join() ? true : undefined;
    }, { timeoutMs: 180_000, intervalMs: 500 });
    if (replicas > 0) await waitUntilServed(plane);
  };
  return { readyPods, waitServing };
}

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { podIP?: string; conditions?: Array<{ type: string; status: string }> };
}

/** Connects to a Pod's port 8443 (over the harness's bridge) and reads the serial of the certificate it serves. */
export function servedSerial(podIp: string, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: podIp, port: 8443, ca: caPem, servername: `${SERVICE}.${WEBHOOK_NAMESPACE}.svc`, timeout: 5000 }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial.replace(/^0+/, '').toUpperCase());
    });
    socket.on('timeout', () => socket.destroy(new Error(`TLS to ${podIp}:8443 timed out`)));
    socket.on('error', reject);
  });
}

/** A dry-run create that the ConfigMap guard (failurePolicy Fail) matches: it fails unless a replica answers. */
export function guardedProbe(namespace: string, n: number): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `flink-config-probe-${n}`,
      namespace,
      labels: { type: 'flink-native-kubernetes', app: 'probe', 'configmap-type': 'high-availability' },
    },
    data: { 'flink-conf.yaml': 'high-availability.type: kubernetes\n' },
  };
}

/** Waits until the API server's own metrics count calls answered by the in-cluster webhook. */
async function waitUntilServed(plane: ControlPlane): Promise<void> {
  const namespace = 'flink-ha-e2e-probe';
  await plane.kubectl(['create', 'namespace', namespace]);
  const before = await webhookCallCounts(plane, 'ok');
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  let n = 0;
  await waitFor('the API server to call the in-cluster webhook through its Service', async () => {
    n += 1;
    await plane.kubectl(['create', '--dry-run=server', '-o', 'name', '-f', '-'], { input: JSON.stringify(guardedProbe(namespace, n)) });
    return total(await webhookCallCounts(plane, 'ok')) > total(before) ? true : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500 });
}
