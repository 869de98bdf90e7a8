// helm for the chart tests: built from the Go module in test/e2e/helm by build-helm.sh, once per version, into a
// cache outside the repo (~/.cache/flink-ha-webhook/helm-<version>/helm). A fresh machine builds it here (1-5
// minutes, progress on stderr); every later call finds it at once. The unit tests call this too: helm lint and
// helm template need no cluster.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const script = join(import.meta.dirname, '..', 'build-helm.sh');
let cached: Promise<string> | undefined;

/** The path of the helm binary, built first if it is missing. */
export function ensureHelm(): Promise<string> {
  cached ??= new Promise<string>((resolve, reject) => {
    // stderr (progress) goes straight to ours; stdout is the cache directory.
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const dir = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || dir === '') reject(new Error(`${script} failed (exit ${code}): helm could not be built`));
      else resolve(join(dir, 'helm'));
    });
  });
  return cached;
}
