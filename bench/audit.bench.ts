// `npm run bench` for the audit: a folder of 10,000 generated objects, and a live audit against the real API server
// (the e2e harness) seeded with 5,000 ConfigMaps (1,000 HA) and 500 Flink workloads in 50 namespaces, next to the
// bare paginated LISTs it needs done with client-node alone, in the same run. Each measurement runs in its own
// child process (peak RSS is per process); the timed span excludes process start-up, which both sides share.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { BenchResult } from './index.ts';
import { createFlinkNamespace, REPO_ROOT, startControlPlane } from '../test/e2e/harness/index.ts';

const NAMESPACES = 50;
const CONFIGMAPS_PER_NS = 100; // 20 HA + 80 others
const HA_PER_NS = 20;
const WORKLOADS_PER_NS = 10;
const FOLDER_OBJECTS = 10_000;
/** Non-Flink ConfigMaps in the second live phase: the audit lists HA ConfigMaps by label, so they should cost ~nothing. */
const BIG_CLUSTER_CONFIGMAPS = 50_000;
const REPEATS = 3;

interface ChildFigures {
  ms: number;
  maxRssKb: number;
  objects?: number;
  findings?: number;
  requests?: number;
}

/** Runs a module body in a child node over the compiled dist/ (as production runs), printing its figures as JSON. */
function child(code: string, args: string[] = []): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', code, '--', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (status) => {
      if (status !== 0) return reject(new Error(`bench child failed (${status}): ${err.slice(-2000)}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ChildFigures);
    });
  });
}

const FOLDER_AUDIT = `
import { loadConfig } from './dist/config/load.js';
import { auditManifestSnapshot } from './dist/audit/run.js';
import { manifestSnapshot, readManifests } from './dist/sources/manifests.js';
import { render } from './dist/report/index.js';
const dir = process.argv.at(-1);
const config = loadConfig({}).config;
const t0 = performance.now();
const { snapshot, errors } = manifestSnapshot(readManifests([dir]), 'default');
const report = await auditManifestSnapshot(snapshot, [dir], errors, config);
const text = render('json', report, { failOn: 'deny', now: new Date(), toolVersion: 'bench' });
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, objects: report.objects, findings: report.findings.length, bytes: text.length }));
`;

const LIVE_AUDIT = `
import { loadConfig } from './dist/config/load.js';
import { readCluster } from './dist/sources/cluster.js';
import { auditCluster } from './dist/audit/run.js';
import { render } from './dist/report/index.js';
const kubeconfig = process.argv.at(-1);
const rightsCheck = process.argv.at(-2) !== 'no-rights-check';
const config = loadConfig({}).config;
const t0 = performance.now();
const read = await readCluster({ kubeconfig, allNamespaces: true, pageSize: 500, timeoutMs: 60000, rightsCheck, config });
const t1 = performance.now();
const report = await auditCluster(read, config);
const t2 = performance.now();
const text = render('json', report, { failOn: 'deny', now: new Date(), toolVersion: 'bench' });
const ms = performance.now() - t0;
const phases = { ...read.timings, judgeMs: t2 - t1, renderMs: performance.now() - t2 };
console.log(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, objects: report.objects, findings: report.findings.length, requests: read.requests, bytes: text.length, phases }));
`;

// The same LISTs the audit makes (every page of every resource it reads), with client-node and nothing else.
const BARE_LISTS = `
import { KubeConfig, KubernetesObjectApi, CustomObjectsApi } from '@kubernetes/client-node';
const kc = new KubeConfig();
kc.loadFromFile(process.argv.at(-1));
const objects = kc.makeApiClient(KubernetesObjectApi);
const customs = kc.makeApiClient(CustomObjectsApi);
const typed = [
  ['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['batch/v1', 'Job'], ['v1', 'Pod'],
  ['v1', 'ConfigMap', 'type=flink-native-kubernetes'], ['v1', 'Namespace'], ['v1', 'ServiceAccount'],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration'], ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration'],
];
const t0 = performance.now();
let items = 0;
let requests = 0;
await Promise.all([
  ...['flinkdeployments', 'flinksessionjobs'].map(async (plural) => {
    let token;
    do {
      const page = await customs.listClusterCustomObject({ group: 'flink.apache.org', version: 'v1beta1', plural, limit: 500, _continue: token });
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
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, objects: items, requests }));
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// ---- generated objects -------------------------------------------------------------------------------------

const JOB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const haLabels = (id: string) => ({ app: id, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' });

function flinkDeployment(ns: string, name: string, i: number): Record<string, unknown> {
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace: ns },
    spec: {
      image: 'flink:1.20',
      flinkVersion: 'v1_20',
      serviceAccount: 'flink',
      flinkConfiguration: i % 2 === 0 ? { 'high-availability.type': 'kubernetes', 'high-availability.storageDir': `s3://ha/${ns}/${name}` } : { 'taskmanager.numberOfTaskSlots': '2' },
      jobManager: { replicas: 1 + (i % 2), resource: { memory: '2048m', cpu: 1 } },
      taskManager: { resource: { memory: '2048m', cpu: 1 } },
    },
  };
}

function standalone(ns: string, name: string, app: string, component: 'jobmanager' | 'taskmanager'): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: component === 'jobmanager' ? 1 : 3,
      selector: { matchLabels: { app, component } },
      template: {
        metadata: { labels: { app, component } },
        spec: { serviceAccountName: 'flink', containers: [{ name: component, image: 'flink:1.20', args: [component] }] },
      },
    },
  };
}

function haConfigMaps(ns: string, id: string): Array<Record<string, unknown>> {
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${id}-cluster-config-map`, namespace: ns, labels: haLabels(id) }, data: { [`jobGraph-${JOB}`]: 'rO0ABXNy' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${id}-${JOB}-config-map`, namespace: ns, labels: haLabels(id) }, data: { counter: '8', 'checkpointID-0000000000000000007': 'rO0ABXNy' } },
  ];
}

function otherConfigMap(ns: string, i: number): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `app-settings-${i}`, namespace: ns, labels: { app: `service-${i}` } }, data: { 'application.properties': `feature.${i}=on\n`.repeat(8) } };
}

/** One namespace of the live seed: 10 Flink workloads, 20 HA ConfigMaps (10 clusters), 80 other ConfigMaps. */
function namespaceSeed(ns: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let c = 0; c < 5; c++) out.push(flinkDeployment(ns, `fd-${c}`, c));
  for (let c = 0; c < 3; c++) out.push(standalone(ns, `sa-${c}-jobmanager`, `sa-${c}`, 'jobmanager'));
  for (let c = 0; c < 2; c++) out.push(standalone(ns, `sa-${c}-taskmanager`, `sa-${c}`, 'taskmanager'));
  const ids = [...Array.from({ length: 5 }, (_, c) => `fd-${c}`), 'sa-0', 'sa-1', 'sa-2', 'gone-0', 'gone-1'];
  for (const id of ids.slice(0, HA_PER_NS / 2)) out.push(...haConfigMaps(ns, id));
  for (let i = 0; i < CONFIGMAPS_PER_NS - HA_PER_NS; i++) out.push(otherConfigMap(ns, i));
  return out;
}

function writeFolder(dir: string): void {
  // 100 files of 100 documents: FlinkDeployments, standalone JobManagers/TaskManagers, HA and other ConfigMaps.
  const perFile = 100;
  let n = 0;
  for (let f = 0; n < FOLDER_OBJECTS; f++) {
    const sub = join(dir, `team-${f % 10}`);
    mkdirSync(sub, { recursive: true });
    const docs: Array<Record<string, unknown>> = [];
    for (let i = 0; i < perFile && n < FOLDER_OBJECTS; i++, n++) {
      const ns = `team-${f % 10}`;
      const id = `c${n}`;
      switch (n % 5) {
        case 0: docs.push(flinkDeployment(ns, id, n)); break;
        case 1: docs.push(standalone(ns, `${id}-jobmanager`, id, 'jobmanager')); break;
        case 2: docs.push(standalone(ns, `${id}-taskmanager`, `c${n - 1}`, 'taskmanager')); break;
        case 3: docs.push(haConfigMaps(ns, `c${n - 3}`)[0]!); break;
        default: docs.push(otherConfigMap(ns, n));
      }
    }
    writeFileSync(join(sub, `manifests-${f}.yaml`), docs.map((d) => yaml.dump(d)).join('---\n'));
  }
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];

  // Folder audit.
  const dir = mkdtempSync(join(tmpdir(), 'audit-bench-'));
  try {
    writeFolder(dir);
    const runs: ChildFigures[] = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await child(FOLDER_AUDIT, [dir]));
    const ms = median(runs.map((r) => r.ms));
    results.push(
      { name: `audit of a folder of ${FOLDER_OBJECTS.toLocaleString('en')} objects (read, judge, -o json), median of ${REPEATS}`, value: Math.round(ms), unit: 'ms', detail: { runs } },
      { name: 'audit of a folder: throughput', value: Math.round((FOLDER_OBJECTS / ms) * 1000), unit: 'objects/s' },
      { name: 'audit of a folder: peak RSS', value: Math.round(Math.max(...runs.map((r) => r.maxRssKb)) / 1024), unit: 'MB' },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Live audit against the real API server.
  const plane = await startControlPlane();
  try {
    const seedStart = performance.now();
    for (let n = 0; n < NAMESPACES; n++) {
      const ns = `bench-${String(n).padStart(2, '0')}`;
      await createFlinkNamespace(plane, ns);
      await plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: namespaceSeed(ns) }) });
    }
    const seedMs = performance.now() - seedStart;
    // Alternate the two sides so that neither gets a warmer API server cache.
    const bare: ChildFigures[] = [];
    const audit: ChildFigures[] = [];
    const noRights: ChildFigures[] = [];
    await child(BARE_LISTS, [plane.kubeconfigPath]); // warm-up: the API server's first LISTs fill its caches
    for (let i = 0; i < REPEATS; i++) {
      bare.push(await child(BARE_LISTS, [plane.kubeconfigPath]));
      audit.push(await child(LIVE_AUDIT, ['rights-check', plane.kubeconfigPath]));
      noRights.push(await child(LIVE_AUDIT, ['no-rights-check', plane.kubeconfigPath]));
    }
    const bareMs = median(bare.map((r) => r.ms));
    const auditMs = median(audit.map((r) => r.ms));
    const noRightsMs = median(noRights.map((r) => r.ms));
    const ratio = auditMs / bareMs;
    const listRatio = noRightsMs / bareMs;
    const seeded = `${(NAMESPACES * CONFIGMAPS_PER_NS).toLocaleString('en')} ConfigMaps (${NAMESPACES * HA_PER_NS} HA), ${NAMESPACES * WORKLOADS_PER_NS} Flink workloads, ${NAMESPACES} namespaces`;
    results.push(
      { name: `bare paginated LISTs with client-node, ${seeded}, median of ${REPEATS}`, value: Math.round(bareMs), unit: 'ms', detail: { runs: bare, seedMs: Math.round(seedMs) } },
      { name: `live audit --cluster -A -o json, same cluster, median of ${REPEATS}`, value: Math.round(auditMs), unit: 'ms', detail: { runs: audit } },
      { name: 'live audit / bare LISTs', value: Number(ratio.toFixed(2)), unit: 'ratio', target: '<= 1.5', met: ratio <= 1.5 },
      // The same audit without its 6 x 50 SubjectAccessReviews (requests that are not LISTs): what the LISTs,
      // the policy over every object and the whole-cluster checks cost next to the bare LISTs.
      { name: `live audit --no-rights-check, median of ${REPEATS}`, value: Math.round(noRightsMs), unit: 'ms', detail: { runs: noRights } },
      { name: 'live audit --no-rights-check / bare LISTs', value: Number(listRatio.toFixed(2)), unit: 'ratio', target: '<= 1.5', met: listRatio <= 1.5 },
      { name: 'bare LISTs: peak RSS', value: Math.round(Math.max(...bare.map((r) => r.maxRssKb)) / 1024), unit: 'MB' },
      { name: 'live audit: peak RSS', value: Math.round(Math.max(...audit.map((r) => r.maxRssKb)) / 1024), unit: 'MB' },
    );

    // The same cluster with 50,000 non-Flink ConfigMaps in all: the audit's cost should follow the Flink objects.
    const extraPerNs = Math.ceil((BIG_CLUSTER_CONFIGMAPS - NAMESPACES * (CONFIGMAPS_PER_NS - HA_PER_NS)) / NAMESPACES);
    const bigSeedStart = performance.now();
    for (let n = 0; n < NAMESPACES; n += 2) {
      await Promise.all([n, n + 1].filter((i) => i < NAMESPACES).map((i) => {
        const ns = `bench-${String(i).padStart(2, '0')}`;
        const items = Array.from({ length: extraPerNs }, (_, k) => otherConfigMap(ns, 1000 + k));
        return plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
      }));
    }
    const bigSeedMs = performance.now() - bigSeedStart;
    const bigAudit: ChildFigures[] = [];
    const bigBare: ChildFigures[] = [];
    for (let i = 0; i < REPEATS; i++) {
      bigBare.push(await child(BARE_LISTS, [plane.kubeconfigPath]));
      bigAudit.push(await child(LIVE_AUDIT, ['rights-check', plane.kubeconfigPath]));
    }
    const bigMs = median(bigAudit.map((r) => r.ms));
    const bigBareMs = median(bigBare.map((r) => r.ms));
    results.push(
      { name: `bare paginated LISTs, with ${BIG_CLUSTER_CONFIGMAPS.toLocaleString('en')} non-Flink ConfigMaps, median of ${REPEATS}`, value: Math.round(bigBareMs), unit: 'ms', detail: { runs: bigBare } },
      { name: `live audit / bare LISTs, with ${BIG_CLUSTER_CONFIGMAPS.toLocaleString('en')} non-Flink ConfigMaps`, value: Number((bigMs / bigBareMs).toFixed(2)), unit: 'ratio', target: '<= 1.5', met: bigMs / bigBareMs <= 1.5 },
    );
    results.push(
      { name: `live audit --cluster -A with ${BIG_CLUSTER_CONFIGMAPS.toLocaleString('en')} non-Flink ConfigMaps (same Flink objects), median of ${REPEATS}`, value: Math.round(bigMs), unit: 'ms', detail: { runs: bigAudit, seedMs: Math.round(bigSeedMs) } },
      { name: `live audit: with ${BIG_CLUSTER_CONFIGMAPS.toLocaleString('en')} non-Flink ConfigMaps / without`, value: Number((bigMs / auditMs).toFixed(2)), unit: 'ratio', target: '~1 (HA ConfigMaps are listed by label)', met: bigMs / auditMs <= 1.25 },
    );
  } finally {
    await plane.stop();
  }
  return results;
}
