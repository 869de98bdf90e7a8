// The harness's build scripts (control plane, helm, cert-manager, Flink) share one contract: progress on stderr,
// the cache directory as the last line of stdout, exit 0 once the artefacts are there (at once when cached).
import { spawn } from 'node:child_process';

/** Runs `bash script ...args` and resolves to the cache directory it prints; rejects naming what failed. */
export function runBuildScript(script: string, args: string[], what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    // stderr (progress) goes straight to ours; stdout is the cache directory.
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const dir = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || dir === '') reject(new Error(`${[script, ...args].join(' ')} failed (exit ${code}): ${what} could not be built`));
      else resolve(dir);
    });
  });
}
