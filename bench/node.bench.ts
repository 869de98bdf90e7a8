// The webhook's cost to a real cluster: the webhook installed from manifests/ as two Pods on a real node, the API
// server calling it through its Service. Two figures:
// - how many of 200 non-Flink Pods and Deployments (typical labels) reached the webhook at all (target 0: the
//   matchConditions keep the webhook's latency and availability off everything that is not Flink);
// - the p50/p99 the webhook adds to a Flink Pod's create and to an HA ConfigMap's update, measured through the API
//   server against the same requests with the webhook configurations removed, in one run.
// Skipped, with the reason, where a real node cannot run (not root, no containerd, no bridge).
import { execFileSync } from 'node:child_process';
import { CoreV1Api, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import type { BenchResult } from './index.ts';
import { createFlinkNamespace, podBoundKubeconfig, startControlPlane, unregisterWebhooks, webhookAttempts, type ControlPlane } from '../test/e2e/harness/index.ts';
import { buildWebhookImage } from '../test/e2e/harness/image.ts';
import { startNode } from '../test/e2e/harness/node.ts';
import { installWebhookInCluster } from '../test/e2e/harness/in-cluster.ts';

const NS = 'bench-node';
const OTHERS = 100; // Pods, and as many Deployments
const SAMPLES = 200;
const WARMUP = 20;

function whyNoNode(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (a node needs a bridge, cgroups and mounts)';
  for (const cmd of ['containerd', 'runc', 'ip', 'iptables']) {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    } catch {
      return `${cmd} is not installed (test/e2e/node/install-packages.sh installs it)`;
    }
  }
  return undefined;
}

export async function run(): Promise<BenchResult[]> {
  const reason = whyNoNode();
  if (reason !== undefined) {
    console.error(`bench: node: skipped: ${reason}`);
    return [{ name: 'real-node suite', value: 0, unit: 'skipped', detail: { reason } }];
  }
  const plane = await startControlPlane({ node: true });
  const node = await startNode(plane).catch(async (err: unknown) => {
    await plane.stop();
    throw err;
  });
  try {
    await installWebhookInCluster(plane, node, await buildWebhookImage());
    await createFlinkNamespace(plane, NS);
    const reached = await nonFlinkCalls(plane);
    const registered = await latencies(plane);
    await unregisterWebhooks(plane);
    const bare = await latencies(plane);
    const added = (k: 'pod' | 'configmap', q: number) => quantile(registered[k], q) - quantile(bare[k], q);
    return [
      { name: `webhook calls for ${OTHERS} non-Flink Pods + ${OTHERS} Deployments (and their Pods)`, value: reached.calls, unit: 'calls', target: '0', met: reached.calls === 0, detail: reached },
      ...(['pod', 'configmap'] as const).flatMap((k) => [
        { name: `${k === 'pod' ? 'Flink Pod create' : 'HA ConfigMap update'}: p50 added by the webhook`, value: added(k, 0.5), unit: 'ms', detail: { withWebhook: quantile(registered[k], 0.5), without: quantile(bare[k], 0.5) } },
        { name: `${k === 'pod' ? 'Flink Pod create' : 'HA ConfigMap update'}: p99 added by the webhook`, value: added(k, 0.99), unit: 'ms', target: '< 182 ms (Kyverno\'s published Pod p99)', met: added(k, 0.99) < 182, detail: { withWebhook: quantile(registered[k], 0.99), without: quantile(bare[k], 0.99) } },
      ]),
    ];
  } finally {
    await node.stop();
    await plane.stop();
  }
}

const TYPICAL = [
  { app: 'web', component: 'frontend', tier: 'web' },
  { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/component': 'cache', type: 'cache' },
  { app: 'kafka', component: 'broker', type: 'statefulset' },
  { app: 'jobmanager-proxy', 'app.kubernetes.io/part-of': 'platform' },
];

async function nonFlinkCalls(plane: ControlPlane): Promise<{ calls: number; objects: number }> {
  await plane.kubectlOk(['create', 'namespace', 'bench-others']);
  const before = await webhookAttempts(plane);
  const items: object[] = [];
  for (let i = 0; i < OTHERS; i++) {
    const labels = TYPICAL[i % TYPICAL.length]!;
    const spec = { containers: [{ name: 'main', image: `registry.invalid/team/app-${i % 7}:1.${i}` }] };
    items.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `other-${i}`, namespace: 'bench-others', labels }, spec });
    items.push({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `other-${i}`, namespace: 'bench-others', labels },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec } },
    });
  }
  await plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
  // The Deployments' Pods are admissions too (by the ReplicaSet controller): wait until they all exist.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const pods = (await plane.kubectlOk(['get', 'pods', '-n', 'bench-others', '-o', 'name'])).trim().split('\n').length;
    if (pods >= 2 * OTHERS) break;
    if (Date.now() > deadline) throw new Error(`only ${pods} of ${2 * OTHERS} Pods appeared`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const calls = (await webhookAttempts(plane)) - before;
  await plane.kubectl(['delete', 'namespace', 'bench-others', '--wait=false']);
  return { calls, objects: 4 * OTHERS };
}

/** Sequential dry-run requests (nothing is stored, nothing scheduled), in ms. */
async function latencies(plane: ControlPlane): Promise<{ pod: number[]; configmap: number[] }> {
  const api = plane.kubeConfig.makeApiClient(CoreV1Api);
  const flinkPod = (n: number): V1Pod => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `bench-tm-${n}`, namespace: NS, labels: { app: 'bench', component: 'taskmanager', type: 'flink-native-kubernetes' } },
    spec: { containers: [{ name: 'flink-main-container', image: 'apache/flink:1.20', args: ['taskmanager'] }] },
  });
  // An HA ConfigMap as Flink wrote it; the admin's edits of the allow-listed annotation (nonOwnerMetadata:
  // kubernetes.io/description) are what a non-owner may do, so the guard allows (a label would now be denied).
  const flink = await podBoundKubeconfig(plane, NS, 'flink', 'bench-jobmanager-0');
  await plane.kubectlOk(['apply', '-n', NS, '--server-side', '--field-manager=flink', '-f', '-'], {
    kubeconfig: flink,
    input: JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'bench-cluster-config-map', labels: { app: 'bench', type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } },
      data: { address: 'pekko.tcp://flink@bench:6123/user/rpc/dispatcher_1', sessionId: '7c3a1f7e-0000-4000-8000-000000000001' },
    }),
  });
  const stored = (await api.readNamespacedConfigMap({ name: 'bench-cluster-config-map', namespace: NS }));
  const time = async (fn: () => Promise<unknown>, into: number[], n: number) => {
    const t0 = performance.now();
    await fn();
    if (n >= WARMUP) into.push(performance.now() - t0);
  };
  const pod: number[] = [];
  const configmap: number[] = [];
  for (let n = 0; n < SAMPLES + WARMUP; n++) {
    await time(() => api.createNamespacedPod({ namespace: NS, body: flinkPod(n), dryRun: 'All' }), pod, n);
    const body: V1ConfigMap = { ...stored, metadata: { ...stored.metadata, annotations: { ...stored.metadata?.annotations, 'kubernetes.io/description': `bench-${n}` } } };
    await time(() => api.replaceNamespacedConfigMap({ name: 'bench-cluster-config-map', namespace: NS, body, dryRun: 'All' }), configmap, n);
  }
  return { pod, configmap };
}

function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 100) / 100;
}
