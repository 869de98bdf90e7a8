// `npm run bench`: runs every bench/*.bench.ts module in turn, prints one table and writes bench-results.json.
// Each module exports `run(): Promise<BenchResult[]>`; speed and memory targets live here, never in unit tests.
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchResult {
  /** What was measured, e.g. "dry-run -o json, 10,000 objects". */
  name: string;
  /** The figure, e.g. 52000. */
  value: number;
  /** Its unit, e.g. "objects/s", "MB", "ms", "ratio". */
  unit: string;
  /** The target, in words, and whether it was met (undefined when there is no target). */
  target?: string;
  met?: boolean;
  /** Anything else worth keeping in the JSON (raw samples, the baseline). */
  detail?: Record<string, unknown>;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const results: Array<BenchResult & { suite: string }> = [];
for (const file of modules) {
  const suite = file.replace(/\.bench\.ts$/, '');
  console.error(`bench: ${suite} ...`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { run: () => Promise<BenchResult[]> };
  for (const r of await mod.run()) results.push({ suite, ...r });
}

const rows = results.map((r) => ({
  suite: r.suite,
  measure: r.name,
  value: `${Number.isInteger(r.value) ? r.value : r.value.toFixed(2)} ${r.unit}`,
  target: r.target ?? '',
  met: r.met === undefined ? '' : r.met ? 'yes' : 'NO',
}));
console.table(rows);
writeFileSync('bench-results.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
console.error('bench: wrote bench-results.json');
