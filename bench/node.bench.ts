// The webhook's cost to a real cluster: the webhook installed from manifests/ as two Pods on a real node, the API
// server calling it through its Service. Two figures:
// - how many of 200 non-Flink Pods and Deployments (typical labels) reached the webhook at all (target 0: the
//   matchConditions keep the webhook's latency and availability off everything that is not Flink);
// - the p50/p90/p99 the webhook adds to a Flink Pod create, a FlinkDeployment create and a non-owner's HA ConfigMap
//   update, measured through the API server against the same requests with the webhook configurations removed, in
//   alternating blocks (added-latency.ts): whatever else the cluster does (a namespace being emptied, the kubelet
//   reporting on Pods) lands on both sides alike instead of on whichever came first.
// Skipped, with the reason, where a real node cannot run (not root, no containerd, no bridge).
import { execFileSync } from 'node:child_process';
import type { BenchResult } from './index.ts';
import { addedRows, measureAddedLatency } from './added-latency.ts';
import { createFlinkNamespace, startControlPlane, webhookAttempts, type ControlPlane } from '../test/e2e/harness/index.ts';
import { buildWebhookImage } from '../test/e2e/harness/image.ts';
import { startNode } from '../test/e2e/harness/node.ts';
import { installWebhookInCluster } from '../test/e2e/harness/in-cluster.ts';

const NS = 'bench-node';
const OTHERS = 100; // Pods, and as many Deployments
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200); // of each kind, with and without the webhook
const BLOCKS = 10; // alternations of registered and removed
const WARMUP = 3; // requests after each switch, not counted: the API server opens a new connection to the webhook

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
    const configurations = await savedConfigurations(plane);
    const m = await measureAddedLatency(plane, {
      namespace: NS, samples: SAMPLES, blocks: BLOCKS, warmup: WARMUP,
      register: async () => { await plane.kubectlOk(['create', '-f', '-'], { input: configurations }); },
    });
    return [
      { name: `webhook calls for ${OTHERS} non-Flink Pods + ${OTHERS} Deployments (and their Pods)`, value: reached.calls, unit: 'calls', target: '0', met: reached.calls === 0, detail: reached },
      ...addedRows(m, { p99: 20 }),
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
  // Gone before the latencies are taken: emptying it is work for the API server and etcd.
  await plane.kubectlOk(['delete', 'namespace', 'bench-others', '--wait=true', '--timeout=180s']);
  return { calls, objects: 4 * OTHERS };
}

/** The two webhook configurations as installed, ready to be created again after they are removed. */
async function savedConfigurations(plane: ControlPlane): Promise<string> {
  const list = JSON.parse(await plane.kubectlOk(['get', 'mutatingwebhookconfiguration/flink-ha-webhook', 'validatingwebhookconfiguration/flink-ha-webhook', '-o', 'json'])) as { items: Array<{ metadata: Record<string, unknown> }> };
  for (const item of list.items) {
    for (const key of ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields']) delete item.metadata[key];
  }
  return JSON.stringify(list);
}
