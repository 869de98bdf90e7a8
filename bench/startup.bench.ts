// Start-up of the compiled CLI (bin/ runs dist/), from process start to exit: what a CI step or a person at a
// terminal waits for on small inputs. Targets: <= 0.3 s for --help and for a one-file dry-run. Also the GitOps
// shape of a large input: a folder of 10,000 files of one object each, through dry-run and audit alike.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './index.ts';
import { generateManifests, toYaml } from './manifest-generator.ts';
import { measure, median } from './proc.ts';

const BIN = 'bin/flink-ha-webhook.mjs';
const REPEATS = 7;
const GITOPS_FILES = 10_000;
const ENV = { FLINK_HA_STORAGE_DIR_TEMPLATE: 's3://flink-ha/{namespace}/{clusterId}' };

async function time(args: string[], repeats = REPEATS): Promise<{ ms: number; rssMb: number; samples: number[] }> {
  const samples: number[] = [];
  let rss = 0;
  for (let i = 0; i < repeats; i++) {
    const r = await measure(process.execPath, [BIN, ...args], ENV);
    if (r.code !== 0 && r.code !== 1) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    samples.push(r.ms);
    rss = Math.max(rss, r.peakRssMb);
  }
  return { ms: median(samples), rssMb: rss, samples };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  await time(['--help'], 1); // warm the file cache (and build dist/ if a source changed) outside the figures
  const cases: Array<{ name: string; args: string[]; target?: number }> = [
    { name: '--help', args: ['--help'], target: 300 },
    { name: 'dry-run of one file (test/fixtures/upstream/basic.yaml)', args: ['dry-run', 'test/fixtures/upstream/basic.yaml'], target: 300 },
    { name: 'audit of one file (test/fixtures/upstream/basic.yaml)', args: ['audit', 'test/fixtures/upstream/basic.yaml'] },
    { name: 'audit of a folder (test/fixtures/upstream, 10 objects)', args: ['audit', 'test/fixtures/upstream'] },
  ];
  for (const c of cases) {
    const t = await time(c.args);
    results.push({
      name: `start-up: ${c.name}, median of ${REPEATS}`,
      value: Math.round(t.ms),
      unit: 'ms',
      ...(c.target !== undefined ? { target: `<= ${c.target}`, met: t.ms <= c.target } : {}),
      detail: { samples: t.samples, peakRssMb: t.rssMb },
    });
  }

  // A GitOps repository: one object per file, in folders per team.
  const dir = mkdtempSync(join(tmpdir(), 'fhw-gitops-'));
  try {
    generateManifests(GITOPS_FILES).forEach((obj, i) => {
      const sub = join(dir, `team-${i % 20}`);
      if (i < 20) mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `object-${i}.yaml`), toYaml([obj]));
    });
    for (const face of ['dry-run', 'audit'] as const) {
      const t = await time([face, dir, '-o', 'json'], 3);
      results.push(
        { name: `${face} -o json of a folder of ${GITOPS_FILES.toLocaleString('en')} files of one object each (process start to exit), median of 3`, value: Math.round(t.ms), unit: 'ms', detail: { samples: t.samples } },
        { name: `${face} of the ${GITOPS_FILES.toLocaleString('en')}-file folder: peak RSS`, value: Math.round(t.rssMb), unit: 'MB' },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
