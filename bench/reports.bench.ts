// `npm run bench -- reports`: what one cycle of the background audit costs `serve`'s leader (src/server/
// background-audit.ts: read + judge + build the Reports, then write what changed), in wall time, CPU and API
// requests, next to the bare paginated LISTs of the same resources with client-node alone, in the same run, against
// the real API server (the e2e harness) seeded with 50 namespaces of Flink workloads and HA state. The first cycle
// creates every Report; the steady ones (nothing changed) write none. Each side runs in its own child process over
// the compiled dist/, as production runs; CPU is the child's own (process.cpuUsage), module loading excluded.
import { spawn } from 'node:child_process';
import type { BenchResult } from './index.ts';
import { createFlinkNamespace, REPO_ROOT, startControlPlane } from '../test/e2e/harness/index.ts';

const NAMESPACES = 50;
const REPEATS = 3;

interface Cycle {
  ms: number;
  cpuMs: number;
  requests: number;
  readRequests?: number;
  reportRequests?: number;
  created?: number;
  unchanged?: number;
  objects?: number;
}

function child(code: string, args: string[]): Promise<{ cycles: Cycle[]; maxRssKb: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', code, '--', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (status) => {
      if (status !== 0) return reject(new Error(`bench child failed (${status}): ${err.slice(-2000)}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as { cycles: Cycle[]; maxRssKb: number });
    });
  });
}

// The background audit's own code, cycle after cycle in one process (as the leader's worker thread runs it).
const CYCLES = `
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from './dist/config/load.js';
import { inProcessAudit, reportStoreOf } from './dist/server/background-audit.js';
import { syncReports } from './dist/reports/writer.js';
await import('./dist/sources/cluster.js');
await import('./dist/audit/run.js');
const [cycles, kubeconfig] = [Number(process.argv.at(-2)), process.argv.at(-1)];
const config = loadConfig({}).config;
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const { store, requests } = reportStoreOf(kc);
const audit = inProcessAudit(kubeconfig, config);
const out = [];
for (let i = 0; i < cycles; i++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r0 = requests();
  const o = await audit();
  const sync = await syncReports(o.reports, store);
  const cpu = process.cpuUsage(cpu0);
  const reportRequests = requests() - r0;
  out.push({ ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, requests: o.requests + reportRequests, readRequests: o.requests, reportRequests, created: sync.created, unchanged: sync.unchanged, reports: o.reports.namespaced.length });
}
console.log(JSON.stringify({ cycles: out, maxRssKb: process.resourceUsage().maxRSS }));
`;

// The LISTs the audit makes (every page of every resource it reads, RBAC included), with client-node and nothing else.
const BARE_LISTS = `
import { KubeConfig, KubernetesObjectApi, CustomObjectsApi } from '@kubernetes/client-node';
const [cycles, kubeconfig] = [Number(process.argv.at(-2)), process.argv.at(-1)];
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const objects = kc.makeApiClient(KubernetesObjectApi);
const customs = kc.makeApiClient(CustomObjectsApi);
const typed = [
  ['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['batch/v1', 'Job'], ['v1', 'Pod'],
  ['v1', 'ConfigMap', 'type=flink-native-kubernetes'], ['v1', 'Namespace'], ['v1', 'ServiceAccount'],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration'], ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration'],
];
const custom = [['flink.apache.org', 'flinkdeployments'], ['flink.apache.org', 'flinksessionjobs'], ['rbac.authorization.k8s.io', 'roles'], ['rbac.authorization.k8s.io', 'rolebindings'], ['rbac.authorization.k8s.io', 'clusterroles'], ['rbac.authorization.k8s.io', 'clusterrolebindings']];
const out = [];
for (let i = 0; i < cycles; i++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let items = 0;
  let requests = 0;
  await Promise.all([
    ...custom.map(async ([group, plural]) => {
      let token;
      do {
        const page = await customs.listClusterCustomObject({ group, version: group === 'flink.apache.org' ? 'v1beta1' : 'v1', plural, limit: 500, _continue: token });
        requests++;
        items += page.items.length;
        token = page.metadata?.continue || undefined;
      } while (token);
    }),
    ...typed.map(async ([apiVersion, kind, labelSelector]) => {
      let token;
      do {
        const page = await objects.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, labelSelector, 500, token);
        requests++;
        items += page.items.length;
        token = page.metadata?._continue || undefined;
      } while (token);
    }),
  ]);
  const cpu = process.cpuUsage(cpu0);
  out.push({ ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, requests, objects: items });
}
console.log(JSON.stringify({ cycles: out, maxRssKb: process.resourceUsage().maxRSS }));
`;

const JOB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** One namespace: 6 FlinkDeployments (half without HA), HA state of 4 of them and of 2 deleted clusters, 40 other ConfigMaps. */
function namespaceSeed(ns: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let c = 0; c < 6; c++) {
    out.push({
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkDeployment',
      metadata: { name: `fd-${c}`, namespace: ns },
      spec: {
        image: 'flink:1.20', flinkVersion: 'v1_20', serviceAccount: 'flink',
        flinkConfiguration: c % 2 === 0 ? { 'high-availability.type': 'kubernetes', 'high-availability.storageDir': `s3://ha/${ns}/fd-${c}` } : {},
        jobManager: { replicas: c % 2 === 0 ? 2 : 1, resource: { memory: '2048m', cpu: 1 } },
        taskManager: { resource: { memory: '2048m', cpu: 1 } },
      },
    });
  }
  for (const id of ['fd-0', 'fd-2', 'fd-4', 'fd-1', 'gone-0', 'gone-1']) {
    const labels = { app: id, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' };
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${id}-cluster-config-map`, namespace: ns, labels }, data: { [`jobGraph-${JOB}`]: 'rO0ABXNy' } });
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${id}-${JOB}-config-map`, namespace: ns, labels }, data: { counter: '8', 'checkpointID-0000000000000000007': 'rO0ABXNy' } });
  }
  for (let i = 0; i < 40; i++) out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `app-settings-${i}`, namespace: ns }, data: { 'application.properties': `feature.${i}=on\n`.repeat(8) } });
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchResult[]> {
  const plane = await startControlPlane();
  try {
    for (const f of ['openreports.io_reports.yaml', 'openreports.io_clusterreports.yaml']) {
      await plane.kubectlOk(['create', '-f', `${REPO_ROOT}/charts/flink-ha-webhook/files/openreports/${f}`]);
    }
    await plane.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/reports.openreports.io', 'crd/clusterreports.openreports.io']);
    for (let n = 0; n < NAMESPACES; n++) {
      const ns = `bench-${String(n).padStart(2, '0')}`;
      await createFlinkNamespace(plane, ns);
      await plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: namespaceSeed(ns) }) });
    }
    await child(BARE_LISTS, ['1', plane.kubeconfigPath]); // warm-up: the API server's first LISTs fill its caches
    // One process per side, 1 + REPEATS cycles each: the audit's first cycle creates the Reports, the rest find
    // nothing changed; the bare LISTs' first cycle is their warm-up.
    const audit = await child(CYCLES, [String(1 + REPEATS), plane.kubeconfigPath]);
    const bare = await child(BARE_LISTS, [String(1 + REPEATS), plane.kubeconfigPath]);
    const [first, ...steady] = audit.cycles;
    const bareSteady = bare.cycles.slice(1);
    const m = (cs: Cycle[], k: keyof Cycle) => median(cs.map((c) => c[k] as number));
    const cpuRatio = m(steady, 'cpuMs') / m(bareSteady, 'cpuMs');
    const seeded = `${NAMESPACES} namespaces, ${NAMESPACES * 6} FlinkDeployments (half without HA), ${NAMESPACES * 12} HA ConfigMaps, ${NAMESPACES * 40} other ConfigMaps`;
    return [
      { name: `background audit, first cycle (creates ${first!.created} Reports), ${seeded}`, value: Math.round(first!.ms), unit: 'ms', detail: { ...first } },
      { name: `background audit, steady cycle (nothing changed: ${steady[0]?.unchanged} Reports unchanged, no write), median of ${REPEATS}`, value: Math.round(m(steady, 'ms')), unit: 'ms', detail: { cycles: steady } },
      { name: 'background audit, steady cycle: CPU', value: Math.round(m(steady, 'cpuMs')), unit: 'ms' },
      { name: 'background audit, steady cycle: API requests (read + Report LISTs)', value: m(steady, 'requests'), unit: 'requests', detail: { read: m(steady, 'readRequests'), reports: m(steady, 'reportRequests') } },
      { name: `bare paginated LISTs of the same resources, median of ${REPEATS}`, value: Math.round(m(bareSteady, 'ms')), unit: 'ms', detail: { cycles: bareSteady } },
      { name: 'bare LISTs: CPU', value: Math.round(m(bareSteady, 'cpuMs')), unit: 'ms' },
      { name: 'bare LISTs: API requests', value: m(bareSteady, 'requests'), unit: 'requests' },
      { name: 'background audit CPU / bare LISTs CPU (steady cycle)', value: Number(cpuRatio.toFixed(2)), unit: 'ratio' },
      { name: 'background audit: peak RSS of its process', value: Math.round(audit.maxRssKb / 1024), unit: 'MB' },
    ];
  } finally {
    await plane.stop();
  }
}
