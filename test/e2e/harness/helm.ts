// helm against the e2e control plane: the binary built by build-helm.sh, with its config, cache and data dirs in
// the plane's temp dir (nothing written to the user's home, no repository index fetched: the chart is local).
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, type ControlPlane } from './control-plane.ts';
import { ensureHelm } from './helm-binary.ts';

const run = promisify(execFile);

export const CHART_DIR = join(REPO_ROOT, 'charts', 'flink-ha-webhook');

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Helm {
  /** Runs helm with the plane's kubeconfig; never throws on a non-zero exit. */
  run(args: string[]): Promise<HelmResult>;
  /** Runs helm and throws with its stderr unless it exits 0. */
  ok(args: string[]): Promise<string>;
}

export async function helmFor(plane: ControlPlane): Promise<Helm> {
  const bin = await ensureHelm();
  const home = join(plane.dir, 'helm');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    KUBECONFIG: plane.kubeconfigPath,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    // No proxy to reach anything: the chart is local and the only server is the plane's loopback API server.
    NO_PROXY: '127.0.0.1,localhost',
  };
  for (const dir of ['config', 'cache', 'data']) mkdirSync(join(home, dir), { recursive: true });
  const helmRun = async (args: string[]): Promise<HelmResult> => {
    try {
      const { stdout, stderr } = await run(bin, args, { env, maxBuffer: 64 << 20, timeout: 600_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
    }
  };
  return {
    run: helmRun,
    ok: async (args) => {
      const r = await helmRun(args);
      if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
      return r.stdout;
    },
  };
}
