// The Flink Kubernetes Operator on the real node, as a platform team runs it: its image (build-operator.sh +
// build-flink-image.sh) installed with its own Helm chart (from the same source tree) through the harness's helm,
// its ServiceAccount and RBAC as the chart makes them; a Flink image for the FlinkDeployments it reconciles; and
// a cluster DNS (CoreDNS from Go modules, build-coredns.sh) on the bridge so the operator finds each JobManager's
// REST Service by name, as in a cluster (docs/real-flink-operator.md says why not a hosts file).
//
// API
//   ensureOperatorImages()               {flink, operator}: {ref, archive}; built once, cached by content
//   startClusterDns(plane)               CoreDNS on NODE_IP:53 serving cluster.local from the API server; .stop()
//   installOperator(plane, node, opts)   imports the images, `helm install` of the chart, waits for the operator
//                                        Pod Ready and its controllers started; .pod(), .log(), .uninstall()
//   operatorDnsConfig                    the Pod DNS settings a cluster's kubelet would give (our bridge DNS)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBuildScript } from './build-script.ts';
import { freePort, REPO_ROOT, type ControlPlane } from './control-plane.ts';
import { helmFor, type Helm } from './helm.ts';
import { NODE_IP, type Node } from './node.ts';
import { childEnv, spawnManaged, waitFor, type Managed } from './processes.ts';

const E2E_DIR = join(REPO_ROOT, 'test', 'e2e');

export interface OperatorImages {
  flink: { ref: string; archive: string };
  operator: { ref: string; archive: string };
  flinkVersion: string;
  operatorVersion: string;
  /** The operator's build dir (chart/, jars). */
  operatorDir: string;
}

let images: Promise<OperatorImages> | undefined;

/** Builds (or finds) the operator and Flink images; the first build takes minutes (docs/real-flink-operator.md). */
export function ensureOperatorImages(): Promise<OperatorImages> {
  images ??= (async () => {
    const operatorDir = await runBuildScript(join(E2E_DIR, 'build-operator.sh'), [], 'the Flink Kubernetes Operator');
    const dir = await runBuildScript(join(E2E_DIR, 'build-flink-image.sh'), [], 'the Flink and operator images');
    const refs = Object.fromEntries(
      readFileSync(join(dir, 'refs'), 'utf8').trim().split('\n').map((l) => l.split('=', 2) as [string, string]),
    );
    return {
      flink: { ref: refs.flink!, archive: join(dir, 'flink.tar') },
      operator: { ref: refs.operator!, archive: join(dir, 'operator.tar') },
      flinkVersion: refs.flinkVersion!,
      operatorVersion: refs.operatorVersion!,
      operatorDir,
    };
  })();
  images.catch(() => (images = undefined));
  return images;
}

export const CLUSTER_DOMAIN = 'cluster.local';

/** What a cluster's kubelet writes into a ClusterFirst Pod's resolv.conf, with our bridge DNS as the server. */
export function operatorDnsConfig(namespace: string) {
  return {
    nameservers: [NODE_IP],
    searches: [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN],
    options: [{ name: 'ndots', value: '5' }],
  };
}

export interface ClusterDns {
  process: Managed;
  stop(): Promise<void>;
}

/**
 * CoreDNS on the bridge address only (port 53, UDP and TCP), answering `cluster.local` from the API server and
 * nothing else: any other name gets SERVFAIL, no query is forwarded anywhere. Runs as a managed process of the
 * plane (its exit hooks and watchdog stop it).
 */
export async function startClusterDns(plane: ControlPlane): Promise<ClusterDns> {
  const dir = await runBuildScript(join(E2E_DIR, 'build-coredns.sh'), [], 'CoreDNS');
  const readyPort = await freePort();
  const corefile = join(plane.dir, 'Corefile');
  writeFileSync(corefile, [
    `${CLUSTER_DOMAIN}:53 {`,
    `  bind ${NODE_IP}`,
    '  errors',
    `  ready 127.0.0.1:${readyPort}`,
    // The admin kubeconfig: CoreDNS only lists and watches Services, EndpointSlices and Namespaces.
    `  kubernetes ${CLUSTER_DOMAIN} {`,
    `    kubeconfig ${plane.kubeconfigPath}`,
    '  }',
    '  cache 5',
    '}',
    // Everything else: no plugin answers, so SERVFAIL; nothing is forwarded off the machine.
    '.:53 {',
    `  bind ${NODE_IP}`,
    '  errors',
    '}',
    '',
  ].join('\n'));
  const process = spawnManaged('coredns', join(dir, 'coredns'), ['-conf', corefile], { dir: plane.dir, env: childEnv() });
  await waitFor('CoreDNS ready', async () => {
    const res = await fetch(`http://127.0.0.1:${readyPort}/ready`).catch(() => undefined);
    return res?.ok ? true : undefined;
  }, { alive: process, timeoutMs: 60_000, intervalMs: 250 });
  return { process, stop: () => process.stop() };
}

export interface OperatorOptions {
  /** Namespace of the release (default `flink-operator-system`, where the webhook's config expects the operator). */
  namespace?: string;
  /** Namespaces the operator watches; the chart makes the `flink` ServiceAccount and its Role in each. */
  watchNamespaces: string[];
  /** Lines appended to the operator's default Flink configuration (the chart's defaultConfiguration). */
  extraConfig?: string[];
}

export interface Operator {
  namespace: string;
  release: string;
  helm: Helm;
  images: OperatorImages;
  /** The operator Pod's name (the current one). */
  pod(): Promise<string>;
  /** The operator container's log (kubectl logs). */
  log(): Promise<string>;
  uninstall(): Promise<void>;
}

export const OPERATOR_RELEASE = 'flink-kubernetes-operator';

/** Imports the images into the node and installs the operator's chart; returns once its controllers run. */
export async function installOperator(plane: ControlPlane, node: Node, options: OperatorOptions): Promise<Operator> {
  const namespace = options.namespace ?? 'flink-operator-system';
  const imgs = await ensureOperatorImages();
  await node.importImage(imgs.operator.archive);
  await node.importImage(imgs.flink.archive);
  const helm = await helmFor(plane);
  const [repository, tag] = [imgs.operator.ref.slice(0, imgs.operator.ref.lastIndexOf(':')), imgs.operator.ref.slice(imgs.operator.ref.lastIndexOf(':') + 1)];
  const values = {
    image: { repository, tag, pullPolicy: 'Never' },
    watchNamespaces: options.watchNamespaces,
    // The operator's own validating/mutating webhook wants a keystore from cert-manager; left out here (the
    // operator runs the same validation in its reconcile loop: FlinkDeployments it refuses get an error status).
    webhook: { create: false },
    operatorPod: { dnsPolicy: 'None', dnsConfig: operatorDnsConfig(namespace) },
    defaultConfiguration: {
      create: true,
      append: true,
      'flink-conf.yaml': [
        'kubernetes.operator.reconcile.interval: 5 s',
        'kubernetes.operator.observer.progress-check.interval: 2 s',
        ...(options.extraConfig ?? []),
        '',
      ].join('\n'),
    },
  };
  const valuesFile = join(plane.dir, 'operator-values.json');
  writeFileSync(valuesFile, JSON.stringify(values, null, 2));
  await helm.ok([
    'install', OPERATOR_RELEASE, join(imgs.operatorDir, 'chart'), '-n', namespace, '--create-namespace',
    '-f', valuesFile, '--wait', '--timeout', '5m',
  ]);
  const pod = async () =>
    (await plane.kubectlOk(['get', 'pods', '-n', namespace, '-l', `app.kubernetes.io/name=${OPERATOR_RELEASE}`,
      '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  const log = async () => (await plane.kubectl(['logs', '-n', namespace, `deploy/${OPERATOR_RELEASE}`, '--tail=-1'])).stdout;
  // JOSDK logs "'<name>' controller started" once a controller's informers have synced.
  await waitFor('the operator started', async () => ((await log()).includes("'flinkdeploymentcontroller' controller started") ? true : undefined), {
    timeoutMs: 180_000, intervalMs: 1000,
  });
  return {
    namespace,
    release: OPERATOR_RELEASE,
    helm,
    images: imgs,
    pod,
    log,
    uninstall: async () => {
      await helm.run(['uninstall', OPERATOR_RELEASE, '-n', namespace, '--wait', '--timeout', '2m']);
    },
  };
}
