// dry-run -o json over 10,000 generated objects (about 20 MB of YAML), next to js-yaml's loadAll of the same
// bytes in the same run. Target (issue 2): the whole dry-run within 2x of the bare parse, under 300 MB RSS.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { BenchResult } from './index.ts';
import { defaultConfig } from '../src/config/load.ts';
import { manifestSnapshot, readManifests } from '../src/sources/manifests.ts';
import { dryRun } from '../src/dryrun/run.ts';
import { formatDryRunChunks } from '../src/dryrun/format.ts';
import { generateManifests, toYaml } from './manifest-generator.ts';
import { measure, median } from './proc.ts';

const OBJECTS = 10_000;
const REPEATS = 3;
/** GNU time, when installed: the CLI's CPU time (user + system), which a loaded machine inflates far less than wall time. */
const TIME = '/usr/bin/time';
const CPU_MARK = 'bench-cpu-seconds';

/** GNU time's line: CPU ms (user + system) and peak RSS in MB of the CLI itself (polling would see time's own). */
function timeOf(stderr: string): { cpuMs: number; rssMb: number } | undefined {
  const m = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+) (\\d+)`).exec(stderr);
  return m ? { cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssMb: Number(m[3]) / 1024 } : undefined;
}

export async function run(): Promise<BenchResult[]> {
  const text = toYaml(generateManifests(OBJECTS));
  const file = join(mkdtempSync(join(tmpdir(), 'fhw-bench-')), 'manifests.yaml');
  writeFileSync(file, text);
  const mb = Buffer.byteLength(text) / 1e6;

  const parseMs: number[] = [];
  const parseCpuMs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    const docs = yaml.loadAll(text);
    const used = process.cpuUsage(c);
    parseMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    parseCpuMs.push((used.user + used.system) / 1000);
    if (docs.length !== OBJECTS) throw new Error(`parsed ${docs.length} documents`);
  }
  // The same work in this process (read, judge, format), without the CLI's start-up.
  const config = defaultConfig({ storageDirTemplate: 's3://flink-ha/{namespace}/{clusterId}' });
  const inProcessMs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t = process.hrtime.bigint();
    const { snapshot, errors } = manifestSnapshot(readManifests([file]), 'default');
    const out = await dryRun(snapshot, errors, { config, operation: 'CREATE', requester: { username: 'bench' } });
    let bytes = 0;
    for (const chunk of formatDryRunChunks(out.results, 'json')) bytes += chunk.length;
    inProcessMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (out.results.length !== OBJECTS || bytes === 0) throw new Error(`in-process dry-run judged ${out.results.length} objects`);
  }
  const runs = [];
  for (let i = 0; i < REPEATS; i++) {
    const argv = [process.execPath, 'bin/flink-ha-webhook.mjs', 'dry-run', '-o', 'json', file];
    const timed = existsSync(TIME) ? [TIME, '-f', `${CPU_MARK} %U %S %M`, ...argv] : argv;
    const r = await measure(timed[0]!, timed.slice(1), { FLINK_HA_STORAGE_DIR_TEMPLATE: 's3://flink-ha/{namespace}/{clusterId}' });
    if (r.code !== 0 && r.code !== 1) throw new Error(`dry-run exited ${r.code}: ${r.stderr}`);
    runs.push(r);
  }
  const dryMs = median(runs.map((r) => r.ms));
  const bare = median(parseMs);
  const rss = Math.max(...runs.map((r) => timeOf(r.stderr)?.rssMb ?? r.peakRssMb));
  const ratio = dryMs / bare;
  const cpus = runs.map((r) => timeOf(r.stderr)?.cpuMs).filter((v): v is number => v !== undefined);
  const cpuRatio = cpus.length > 0 ? [{ name: 'dry-run CPU / bare parse CPU (user + system; what a loaded machine inflates least)', value: median(cpus) / median(parseCpuMs), unit: 'ratio', detail: { cpuMs: cpus, parseCpuMs } }] : [];
  return [
    { name: `js-yaml loadAll, ${OBJECTS} objects (${mb.toFixed(1)} MB)`, value: bare, unit: 'ms', detail: { samples: parseMs } },
    { name: `dry-run -o json, ${OBJECTS} objects (process start to exit)`, value: dryMs, unit: 'ms', detail: { samples: runs.map((r) => r.ms) } },
    { name: 'dry-run throughput', value: Math.round(OBJECTS / (dryMs / 1000)), unit: 'objects/s' },
    { name: 'dry-run time / bare parse', value: ratio, unit: 'ratio', target: '<= 2', met: ratio <= 2 },
    ...cpuRatio,
    { name: 'in-process read + judge + format, same input', value: median(inProcessMs), unit: 'ms', detail: { samples: inProcessMs } },
    { name: 'in-process / bare parse', value: median(inProcessMs) / bare, unit: 'ratio' },
    { name: 'dry-run peak RSS', value: rss, unit: 'MB', target: '< 300', met: rss < 300 },
  ];
}
