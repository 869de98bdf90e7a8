// promtool for the alert-rule tests: built from the Prometheus Go modules in test/e2e/promtool by
// build-promtool.sh, once per version, into ~/.cache/flink-ha-webhook/promtool-<version>/promtool, like helm.
import { join } from 'node:path';
import { runBuildScript } from './build-script.ts';

const script = join(import.meta.dirname, '..', 'build-promtool.sh');
let cached: Promise<string> | undefined;

/** The path of the promtool binary, built first if it is missing. */
export function ensurePromtool(): Promise<string> {
  cached ??= runBuildScript(script, [], 'promtool').then((dir) => join(dir, 'promtool'));
  return cached;
}
