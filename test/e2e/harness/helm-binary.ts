// helm for the chart tests: built from the Go module in test/e2e/helm by build-helm.sh, once per version, into a
// cache outside the repo (~/.cache/flink-ha-webhook/helm-<version>/helm). A fresh machine builds it here (1-5
// minutes, progress on stderr); every later call finds it at once. The unit tests call this too: helm lint and
// helm template need no cluster.
import { join } from 'node:path';
import { runBuildScript } from './build-script.ts';

const script = join(import.meta.dirname, '..', 'build-helm.sh');
let cached: Promise<string> | undefined;

/** The path of the helm binary, built first if it is missing. */
export function ensureHelm(): Promise<string> {
  cached ??= runBuildScript(script, [], 'helm').then((dir) => join(dir, 'helm'));
  return cached;
}
