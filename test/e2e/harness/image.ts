// The webhook's image for the e2e tests: the top-level Containerfile built by buildah (test/e2e/image/), offline,
// on local bases, cached by a hash of everything that goes into it: a second run takes no time, a changed input
// a new image.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './control-plane.ts';

const run = promisify(execFile);
const IMAGE_DIR = join(REPO_ROOT, 'test', 'e2e', 'image');
/** What the build context holds (.dockerignore lets only these through), and the scripts that make the build. */
const INPUTS = [
  'Containerfile', '.dockerignore', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json',
  'scripts', 'src', 'bin', 'test/e2e/image',
];

export interface WebhookImage {
  /** The name containerd gives it on `ctr -n k8s.io images import`: flink-ha-e2e.local/flink-ha-webhook:<hash>. */
  ref: string;
  /** The OCI archive (gzip layers, index annotated with io.containerd.image.name). */
  archive: string;
  /** Size of the archive in bytes: what a registry would store and a node pull. */
  sizeBytes: number;
}

/** ${FLINK_HA_CACHE:-${XDG_CACHE_HOME:-~/.cache}/flink-ha-webhook}, as the build scripts compute it. */
export function cacheRoot(): string {
  return process.env.FLINK_HA_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'flink-ha-webhook');
}

function filesUnder(path: string): string[] {
  const stat = statSync(join(REPO_ROOT, path), { throwIfNoEntry: false });
  if (!stat) return [];
  if (!stat.isDirectory()) return [path];
  return readdirSync(join(REPO_ROOT, path)).sort().flatMap((entry) => filesUnder(join(path, entry)));
}

/** A hash of every input of the image, and of the Node.js the local bases are made of (~20 ms). */
export function imageInputsHash(): string {
  const hash = createHash('sha256').update(`${process.version}\0`);
  for (const file of INPUTS.flatMap(filesUnder)) {
    hash.update(`${file}\0`).update(readFileSync(join(REPO_ROOT, file))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

let built: Promise<WebhookImage> | undefined;

/**
 * Builds the image once per content hash: the first build takes ~1 min on 2 cores (progress on stderr, buildah's
 * output in `<archive>.log`), a cached one returns at once. Two test processes asking at the same time build it
 * once: build-image.sh holds a lock on the archive while it builds.
 */
export function buildWebhookImage(): Promise<WebhookImage> {
  built ??= (async () => {
    const hash = imageInputsHash();
    const ref = `flink-ha-e2e.local/flink-ha-webhook:${hash}`;
    const archive = join(cacheRoot(), 'images', `flink-ha-webhook-${hash}.tar`);
    try {
      const { stderr } = await run('bash', [join(IMAGE_DIR, 'build-image.sh'), REPO_ROOT, ref, archive], {
        maxBuffer: 16 * 1024 * 1024,
      });
      if (stderr) process.stderr.write(stderr);
    } catch (err) {
      built = undefined; // a later call may try again
      const e = err as { stderr?: string; message: string };
      throw new Error(`building the webhook image failed: ${e.stderr?.trim() || e.message}`, { cause: err });
    }
    return { ref, archive, sizeBytes: statSync(archive).size };
  })();
  return built;
}
