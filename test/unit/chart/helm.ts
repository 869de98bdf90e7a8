// Runs the real helm (built from Go modules, test/e2e/build-helm.sh) over the chart: `helm template` and
// `helm lint` need no cluster, so the chart's tests are unit tests and take a fraction of a second each.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { ensureHelm } from '../../e2e/harness/helm-binary.ts';
import { BASE_RELEASE, CHART_DIR } from '../../../scripts/render-manifests.ts';

export { CHART_DIR };

export interface HelmRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A rendered object, walked field by field in the tests. */
export type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, any>;

export async function helm(args: string[]): Promise<HelmRun> {
  const bin = await ensureHelm();
  return new Promise((resolve) => {
    execFile(bin, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The values files' dirs, removed when the test process exits (every test file runs in its own process). */
const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A values file holding `values` (YAML keeps the types a user writes: a number stays a number). */
export function valuesFile(values: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'flink-ha-chart-'));
  made.push(dir);
  const file = join(dir, 'values.yaml');
  writeFileSync(file, typeof values === 'string' ? values : yaml.dump(values));
  return file;
}

/** `helm template` as the base is rendered (release flink-ha-webhook in flink-ha-webhook) with `values` on top. */
export async function template(values: unknown = {}, extra: string[] = []): Promise<HelmRun> {
  return helm(['template', BASE_RELEASE.name, CHART_DIR, '--namespace', BASE_RELEASE.namespace, '-f', valuesFile(values), ...extra]);
}

/** The objects `helm template` renders; throws with helm's message when it fails. */
export async function render(values: unknown = {}, extra: string[] = []): Promise<Doc[]> {
  const run = await template(values, extra);
  if (run.code !== 0) throw new Error(`helm template failed: ${run.stderr}`);
  return (yaml.loadAll(run.stdout) as Array<Doc | null>).filter((d): d is Doc => d !== null);
}

export const find = (docs: Doc[], kind: string, name?: string): Doc | undefined =>
  docs.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
