// The image a user builds from the Containerfile (built here by buildah on local stand-ins of its bases, offline):
// what it declares, what it holds and what it leaves out, and that its own files run: its node runs its CLI, and
// `serve` reaches /readyz, executed from the image's unpacked root file system (chroot) as the image's user.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildWebhookImage, type WebhookImage } from './harness/image.ts';
import { freePort, httpsGet, REPO_ROOT } from './harness/control-plane.ts';
import { spawnManaged, startWatchdog, trackDir, untrackDir, waitFor, type Managed } from './harness/processes.ts';

const run = promisify(execFile);

interface ImageConfig {
  config: {
    User?: string;
    Entrypoint?: string[];
    Cmd?: string[];
    ExposedPorts?: Record<string, object>;
    WorkingDir?: string;
    Env?: string[];
  };
}

describe('the image built from the Containerfile', () => {
  let image: WebhookImage;
  let dir: string;
  let rootfs: string;
  let index: { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  let config: ImageConfig;
  let retireWatchdog: (() => void) | undefined;

  before(async () => {
    const started = performance.now();
    image = await buildWebhookImage();
    const buildSeconds = (performance.now() - started) / 1000;
    dir = mkdtempSync(join(tmpdir(), 'flink-ha-image-test-'));
    trackDir(dir);
    retireWatchdog = startWatchdog(dir); // removes the unpacked image and ends serve even if we are SIGKILLed
    const layout = join(dir, 'layout');
    rootfs = join(dir, 'rootfs');
    mkdirSync(layout);
    mkdirSync(rootfs);
    await run('tar', ['-xf', image.archive, '-C', layout]);
    const blob = (digest: string) => join(layout, 'blobs', ...digest.split(':'));
    index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as typeof index;
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as {
      config: { digest: string };
      layers: Array<{ digest: string }>;
    };
    config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as ImageConfig;
    // Layers in order, as a runtime would stack them (the Containerfile's layers only add files: no whiteouts).
    for (const layer of manifest.layers) await run('tar', ['-xzf', blob(layer.digest), '-C', rootfs, '--numeric-owner']);
    const unpacked = Number((await run('du', ['-sb', rootfs])).stdout.split('\t')[0]);
    console.log(
      `image ${image.ref}: archive ${(image.sizeBytes / 1e6).toFixed(1)} MB, unpacked ${(unpacked / 1e6).toFixed(1)} MB;` +
        ` buildWebhookImage() took ${buildSeconds.toFixed(1)} s`,
    );
  });
  after(() => {
    retireWatchdog?.();
    if (dir) untrackDir(dir);
  });

  it('is named for containerd: the index carries io.containerd.image.name', () => {
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0]?.annotations?.['io.containerd.image.name'], image.ref);
  });

  it('runs the compiled CLI as non-root: ENTRYPOINT node + bin/, CMD serve, port 8443', () => {
    assert.equal(config.config.User, '65532:65532');
    assert.deepEqual(config.config.Entrypoint, ['/nodejs/bin/node', '/app/bin/flink-ha-webhook.mjs']);
    assert.deepEqual(config.config.Cmd, ['serve']);
    assert.deepEqual(Object.keys(config.config.ExposedPorts ?? {}), ['8443/tcp']);
    assert.equal(config.config.WorkingDir, '/app');
    assert.ok(config.config.Env?.includes('NODE_ENV=production'), `Env: ${config.config.Env?.join(' ')}`);
  });

  it('holds compiled JavaScript and production dependencies only: no sources, no dev tools, no shell', () => {
    const app = join(rootfs, 'app');
    for (const present of ['dist/cli/main.js', 'bin/flink-ha-webhook.mjs', 'package.json', 'node_modules/express', 'node_modules/pino']) {
      assert.ok(existsSync(join(app, present)), `/app/${present} is in the image`);
    }
    for (const absent of [
      'src', 'test', 'scripts', 'certs', 'tsconfig.json', 'tsconfig.build.json', 'dist/.tsbuildinfo',
      'node_modules/typescript', 'node_modules/tsx', 'node_modules/esbuild', 'node_modules/eslint',
      'node_modules/supertest', 'node_modules/fast-check', 'node_modules/@types/express',
    ]) {
      assert.ok(!existsSync(join(app, absent)), `/app/${absent} is not in the image`);
    }
    assert.deepEqual(readdirSync(join(app, 'dist'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')), []);
    // Every installed package is a production one by the lock file (which marks dev-only packages `dev: true`).
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const installed = readdirSync(join(app, 'node_modules'))
      .filter((name) => !name.startsWith('.'))
      .flatMap((name) => (name.startsWith('@') ? readdirSync(join(app, 'node_modules', name)).map((n) => `${name}/${n}`) : [name]));
    assert.ok(installed.length > 50, `${installed.length} packages`);
    const devOnly = installed.filter((name) => lock.packages[`node_modules/${name}`]?.dev === true);
    assert.deepEqual(devOnly, []);
    assert.deepEqual(installed.filter((name) => !lock.packages[`node_modules/${name}`]), [], 'every package is in the lock file');
    // No shell and no package manager anywhere in the root file system.
    const shells = readdirSync(rootfs, { recursive: true })
      .map(String)
      .filter((f) => /(^|\/)(sh|bash|dash|ash|busybox|env|npm|npx|npm-cli\.js)$/.test(f));
    assert.deepEqual(shells, []);
  });

  it('keeps its files read-only to the user it runs as', () => {
    for (const file of ['app/dist/cli/main.js', 'app/bin/flink-ha-webhook.mjs', 'app/node_modules/express/package.json']) {
      const st = statSync(join(rootfs, file));
      assert.equal(st.uid, 0, `${file} is owned by root`);
      assert.equal(st.mode & 0o022, 0, `${file} is writable by its owner only`);
    }
  });

  // The image's entrypoint, from its own root, as its own user, with its own environment (nothing of ours).
  const chrooted = (args: string[]) => [
    `--userspec=${config.config.User}`, rootfs, ...(config.config.Entrypoint ?? []), ...args,
  ];
  const imageEnv = () => Object.fromEntries([...(config.config.Env ?? []), 'HOME=/home/nonroot'].map((kv) => kv.split(/=(.*)/s, 2)));

  it("its node runs its CLI: --help, and dry-run answers exactly as the repo's own build does", async () => {
    const help = await run('chroot', chrooted(['--help']), { env: imageEnv() });
    assert.match(help.stdout, /serve\s/);
    assert.match(help.stdout, /dry-run/);

    const manifest = readFileSync(join(REPO_ROOT, 'examples', 'orders.yaml'));
    const fromImage = await runWithInput('chroot', chrooted(['dry-run', '-']), imageEnv(), manifest);
    const fromRepo = await runWithInput(process.execPath, [join(REPO_ROOT, 'bin', 'flink-ha-webhook.mjs'), 'dry-run', '-'], process.env, manifest);
    assert.match(fromImage.stdout, /\[ha-enabled\] mutated/);
    assert.equal(fromImage.stdout, fromRepo.stdout);
    assert.equal(fromImage.code, fromRepo.code);
  });

  it('`serve` reaches /readyz: first start (makes dev certs) and a restart with certs in place, timed', async () => {
    const port = await freePort();
    const certDir = '/tmp/certs'; // inside the image's root; /tmp is the one writable place, as in the Deployment
    const args = chrooted(['serve', '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir]);
    const startAndTime = async (name: string): Promise<{ ms: number; proc: Managed }> => {
      const started = performance.now();
      const proc = spawnManaged(name, 'chroot', args, { dir, env: imageEnv() });
      await waitFor(
        `serve from the image to answer /readyz on port ${port}`,
        async () => {
          const ca = readFileSync(join(rootfs, certDir, 'ca.crt'));
          return (await httpsGet(`https://127.0.0.1:${port}/readyz`, { ca })) ? true : undefined;
        },
        { alive: proc, timeoutMs: 60_000, intervalMs: 10 },
      );
      return { ms: Math.round(performance.now() - started), proc };
    };
    const first = await startAndTime('serve-first');
    await first.proc.stop(10_000);
    // The certificates were written as the image's user, where the Deployment mounts its Secret instead.
    assert.equal(statSync(join(rootfs, certDir, 'tls.key')).uid, 65532);
    const warm = await startAndTime('serve-restart');
    try {
      console.log(`image: serve reached /readyz in ${first.ms} ms on first start (dev certs made), ${warm.ms} ms with certs in place`);
      assert.ok(warm.ms < 30_000, `serve with certs in place reaches /readyz within 30 s, took ${warm.ms} ms`);
    } finally {
      await warm.proc.stop(10_000);
    }
  });
});

function runWithInput(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input: Buffer,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
