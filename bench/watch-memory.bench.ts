// What the watched cluster view (src/kube/watched-cluster.ts) holds in memory for a namespace with 1,000 Flink
// clusters (1,000 FlinkDeployments, each with its two HA ConfigMaps) beside 50,000 other ConfigMaps, against a real
// kube-apiserver: the heap the informers add once synced (after a full GC, before and after), the objects each
// holds (the other ConfigMaps must never reach it: the HA ConfigMaps are selected by label at the API server), the
// time to sync, and what the questions a review asks cost on that namespace.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BenchResult } from './index.ts';
import { defaultConfig } from '../src/config/load.ts';
import { apiClusterView } from '../src/kube/api-cluster-view.ts';
import { watchCluster } from '../src/kube/watched-cluster.ts';
import { createFlinkNamespace, startControlPlane } from '../test/e2e/harness/index.ts';

const NS = 'bench-scale';
const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 1000);
const OTHERS = Number(process.env.BENCH_OTHER_CONFIGMAPS ?? 50_000);
const CHUNK = 2500;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

export async function run(): Promise<BenchResult[]> {
  const plane = await startControlPlane();
  try {
    await createFlinkNamespace(plane, NS);
    const objects: object[] = [];
    for (let i = 0; i < CLUSTERS; i++) {
      const id = `cluster-${i}`;
      const labels = { app: id, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' };
      objects.push({
        apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name: id, namespace: NS },
        spec: { image: 'flink:1.20', flinkVersion: 'v1_20', serviceAccount: 'flink', flinkConfiguration: { 'high-availability.type': 'kubernetes', 'high-availability.storageDir': `s3://ha/${id}` },
          jobManager: { replicas: 2, resource: { memory: '2048m', cpu: 1 } }, taskManager: { resource: { memory: '2048m', cpu: 1 } } },
      });
      objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${id}-cluster-config-map`, namespace: NS, labels, annotations: { 'control-plane.alpha.kubernetes.io/leader': '{"holderIdentity":"x","leaseDurationSeconds":15}' } },
        data: { address: `pekko.tcp://flink@${id}:6123/user/rpc/dispatcher_1`, sessionId: '7c3a1f7e-0000-4000-8000-000000000001', [`jobGraph-${'0'.repeat(32)}`]: `rO0ABXNyADtvcmcuYXBhY2hlLmZsaW5r...${id}` } });
      objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${id}-${'0'.repeat(32)}-config-map`, namespace: NS, labels },
        data: { counter: '42', 'checkpointID-0000000000000000041': `s3://ha/${id}/completedCheckpoint0123456789ab` } });
    }
    for (let i = 0; i < OTHERS; i++) {
      objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `app-config-${i}`, namespace: NS, labels: { app: `service-${i % 500}` } }, data: { 'application.properties': `server.port=8080\nfeature.flag.${i}=true\n` } });
    }
    const seedStart = performance.now();
    for (let i = 0; i < objects.length; i += CHUNK) {
      await plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects.slice(i, i + CHUNK) }) });
    }
    const seedMs = performance.now() - seedStart;

    const before = heapMb();
    const t0 = performance.now();
    const watched = watchCluster(plane.kubeConfig, { imagePatterns: defaultConfig().imagePatterns });
    await Promise.all(watched.all.map((i) => i.whenSynced()));
    const syncMs = performance.now() - t0;
    const after = heapMb();
    const held = Object.fromEntries(watched.all.map((i) => [i.name, i.size()]));
    const view = apiClusterView(plane.kubeConfig, { imagePatterns: defaultConfig().imagePatterns, watched });
    // What a FlinkDeployment review asks of this namespace, from the watch: the slowest of a few rounds, cold memo first.
    const ask = async () => {
      const s = performance.now();
      await view.flinkClusterIds(NS);
      await view.namespaceHoldsHaState(NS);
      await view.haConfigMapsOf!(NS, 'cluster-7', 'warning');
      await view.namespaceMeta(NS);
      return performance.now() - s;
    };
    const first = await ask();
    const rounds: number[] = [];
    for (let i = 0; i < 20; i++) rounds.push(await ask());
    const calls = [...view.stats.calls.values()].reduce((a, b) => a + b, 0);
    await watched.stop();
    const mb = Math.round((after - before) * 10) / 10;
    return [
      { name: `watched view heap for ${CLUSTERS} Flink clusters + ${OTHERS} other ConfigMaps in one namespace`, value: mb, unit: 'MB', detail: { heapBeforeMb: before, heapAfterMb: after, held, seedMs } },
      { name: 'ConfigMaps the watch holds (HA ones and native configs only)', value: held['ha-configmaps'] ?? -1, unit: 'objects', target: `${2 * CLUSTERS} (no other ConfigMap)`, met: held['ha-configmaps'] === 2 * CLUSTERS },
      { name: 'time for every informer to sync', value: Math.round(syncMs), unit: 'ms' },
      { name: "a FlinkDeployment review's questions on that namespace, from the watch (first, cold)", value: Math.round(first * 100) / 100, unit: 'ms' },
      { name: 'the same, warm (median of 20)', value: Math.round(rounds.sort((a, b) => a - b)[10]! * 100) / 100, unit: 'ms', detail: { slowestMs: Math.max(...rounds), apiCalls: calls } },
    ];
  } finally {
    await plane.stop();
  }
}
