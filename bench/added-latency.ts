// What the webhook adds to a user's API request, through a real API server: a Flink Pod create, a FlinkDeployment
// create and an HA ConfigMap update by a non-owner (the admin, an allow-listed annotation), all dry-run (nothing
// stored, nothing scheduled), sequential, with the webhook configurations registered and removed in alternating
// blocks. Each block begins only once a request shows the API server calls (or no longer calls) the webhook, and
// its first requests are not counted: whatever else the machine or the cluster does lands on both sides alike.
// Used by sandbox.bench.ts (webhook on loopback) and node.bench.ts (webhook as Pods on a real node).
import { loadavg } from 'node:os';
import { CoreV1Api, CustomObjectsApi, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import type { BenchResult } from './index.ts';
import { podBoundKubeconfig, unregisterWebhooks, webhookAttempts, type ControlPlane } from '../test/e2e/harness/index.ts';

export type Kind = 'pod' | 'flinkdeployment' | 'configmap';
export const KINDS: Kind[] = ['pod', 'flinkdeployment', 'configmap'];
const LABEL: Record<Kind, string> = { pod: 'Flink Pod create', flinkdeployment: 'FlinkDeployment create', configmap: 'HA ConfigMap update (non-owner)' };
export type Samples = Record<Kind, number[]>;

export interface AddedLatencyOptions {
  namespace: string;
  /** Requests of each kind counted, with and without the webhook. */
  samples: number;
  /** Alternations of registered and removed. */
  blocks: number;
  /** Requests after each switch not counted (the API server opens its connection to the webhook anew). */
  warmup: number;
  /** Registers the webhook configurations (again). */
  register: () => Promise<void>;
  /** Called between blocks, e.g. to read the webhook's metrics. */
  onBlock?: (withWebhook: boolean) => Promise<void>;
}

export interface AddedLatency {
  registered: Samples;
  bare: Samples;
  /** 1-minute load average at the start and end of the measurement (the machine is shared). */
  load: { start: number; end: number };
}

export async function measureAddedLatency(plane: ControlPlane, options: AddedLatencyOptions): Promise<AddedLatency> {
  const ns = options.namespace;
  const core = plane.kubeConfig.makeApiClient(CoreV1Api);
  const custom = plane.kubeConfig.makeApiClient(CustomObjectsApi);
  const flinkPod = (n: number): V1Pod => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `bench-tm-${n}`, namespace: ns, labels: { app: 'bench', component: 'taskmanager', type: 'flink-native-kubernetes' } },
    spec: { containers: [{ name: 'flink-main-container', image: 'apache/flink:1.20', args: ['taskmanager'] }] },
  });
  const flinkDeployment = (n: number) => ({
    apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name: `bench-fd-${n}`, namespace: ns },
    spec: {
      image: 'flink:1.20', flinkVersion: 'v1_20', serviceAccount: 'flink', flinkConfiguration: { 'taskmanager.numberOfTaskSlots': '2', 'high-availability.storageDir': 's3://bench/ha' },
      jobManager: { resource: { memory: '2048m', cpu: 1 } }, taskManager: { resource: { memory: '2048m', cpu: 1 } },
    },
  });
  // An HA ConfigMap as Flink wrote it (with Flink's pod-bound token); the admin's edits of the allow-listed
  // annotation (nonOwnerMetadata: kubernetes.io/description) are what a non-owner may do, so the guard allows.
  const flink = await podBoundKubeconfig(plane, ns, 'flink', 'bench-jobmanager-0');
  await plane.kubectlOk(['apply', '-n', ns, '--server-side', '--field-manager=flink', '-f', '-'], {
    kubeconfig: flink,
    input: JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'bench-cluster-config-map', labels: { app: 'bench', type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } },
      data: { address: 'pekko.tcp://flink@bench:6123/user/rpc/dispatcher_1', sessionId: '7c3a1f7e-0000-4000-8000-000000000001' },
    }),
  });
  const stored = await core.readNamespacedConfigMap({ name: 'bench-cluster-config-map', namespace: ns });

  let n = 0;
  const timed = async (into: number[] | undefined, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    into?.push(performance.now() - t0);
  };
  const round = async (into?: Samples) => {
    n++;
    await timed(into?.pod, () => core.createNamespacedPod({ namespace: ns, body: flinkPod(n), dryRun: 'All' }));
    await timed(into?.flinkdeployment, () => custom.createNamespacedCustomObject({ group: 'flink.apache.org', version: 'v1beta1', namespace: ns, plural: 'flinkdeployments', body: flinkDeployment(n), dryRun: 'All' }));
    const body: V1ConfigMap = { ...stored, metadata: { ...stored.metadata, annotations: { ...stored.metadata?.annotations, 'kubernetes.io/description': `bench-${n}` } } };
    await timed(into?.configmap, () => core.replaceNamespacedConfigMap({ name: 'bench-cluster-config-map', namespace: ns, body, dryRun: 'All' }));
  };
  // The API server picks a configuration change up from its informer: wait until a request shows it has.
  const settle = async (called: boolean) => {
    for (const deadline = Date.now() + 30_000; ;) {
      const before = await webhookAttempts(plane);
      await round();
      if (((await webhookAttempts(plane)) > before) === called) break;
      if (Date.now() > deadline) throw new Error(`the API server still ${called ? 'does not call' : 'calls'} the webhook after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < options.warmup; i++) await round();
  };

  const registered: Samples = { pod: [], flinkdeployment: [], configmap: [] };
  const bare: Samples = { pod: [], flinkdeployment: [], configmap: [] };
  const load = { start: loadavg()[0]!, end: 0 };
  for (let block = 0; block < 2 * options.blocks; block++) {
    const withWebhook = block % 2 === 0;
    if (withWebhook && block > 0) await options.register();
    else if (!withWebhook) await unregisterWebhooks(plane);
    await settle(withWebhook);
    for (let i = 0; i < options.samples / options.blocks; i++) await round(withWebhook ? registered : bare);
    await options.onBlock?.(withWebhook);
  }
  load.end = loadavg()[0]!;
  return { registered, bare, load };
}

export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 100) / 100;
}

/** One row per kind and quantile: the added ms, with both sides and the load in the detail. */
export function addedRows(m: AddedLatency, targets: { p50?: number; p99?: number }): BenchResult[] {
  const rows: BenchResult[] = [];
  for (const k of KINDS) {
    for (const [q, name] of [[0.5, 'p50'], [0.9, 'p90'], [0.99, 'p99']] as const) {
      const added = Math.round((quantile(m.registered[k], q) - quantile(m.bare[k], q)) * 100) / 100;
      const target = name === 'p50' ? targets.p50 : name === 'p99' ? targets.p99 : undefined;
      rows.push({
        name: `${LABEL[k]}: ${name} added by the webhook (load ${m.load.start.toFixed(1)}-${m.load.end.toFixed(1)})`,
        value: added, unit: 'ms',
        // A target is judged only on a quiet machine (1-minute load below 2 on these 2 cores): under load the spread
        // of the requests without the webhook alone is larger than the targets.
        ...(target === undefined ? {} : { target: `<= ${target} ms on a quiet machine`, ...(Math.max(m.load.start, m.load.end) < 2 ? { met: added <= target } : {}) }),
        detail: { withWebhook: quantile(m.registered[k], q), without: quantile(m.bare[k], q), samples: m.registered[k].length, load1: m.load },
      });
    }
  }
  return rows;
}
