// Child processes of the e2e harness (etcd, kube-apiserver, the webhook): each in its own process group, logged
// to a file, and killed with its whole group on stop, on test failure, on Ctrl-C and even when this process dies.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Managed {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves when the process has exited (code or signal). */
  exited: Promise<void>;
  isRunning(): boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Process groups and temp dirs still alive, for the synchronous last-chance cleanup on exit and signals. */
const liveGroups = new Set<number>();
const liveDirs = new Set<string>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killEverythingNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killEverythingNow();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Synchronous: runs inside 'exit' handlers, where nothing asynchronous happens any more. */
export function killEverythingNow(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  liveGroups.clear();
  for (const dir of liveDirs) removeDir(dir);
  liveDirs.clear();
}

/**
 * Registers a shell script that undoes what the processes of `dir` did outside it (a route, a bridge, mounts
 * under it). It runs, synchronously, before `dir` is removed: by untrackDir, by the exit hook and by the
 * watchdog. It must be idempotent and must not need anything but the files in `dir`.
 */
export function addCleanupScript(dir: string, name: string, script: string): void {
  writeFileSync(join(dir, `cleanup-${name}.sh`), script, { mode: 0o700 });
}

function removeDir(dir: string): void {
  const scripts = existsSync(dir) ? readdirSync(dir).filter((f) => /^cleanup-.*\.sh$/.test(f)).sort() : [];
  for (const script of scripts) {
    try {
      execFileSync('bash', [join(dir, script)], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      // best effort: the dir goes anyway, and the node's start cleans what a failed cleanup left
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Registers a temp dir to be removed by the last-chance cleanup (and by the watchdog). */
export function trackDir(dir: string): void {
  installExitHooks();
  liveDirs.add(dir);
}

export function untrackDir(dir: string): void {
  liveDirs.delete(dir);
  removeDir(dir);
}

/**
 * Starts a watchdog shell that outlives us only to clean up: when this Node process disappears without running
 * its exit hooks (SIGKILL, a runner's hard timeout), it kills every group listed in `<dir>/pgids`, runs the
 * dir's cleanup scripts (addCleanupScript) and removes `<dir>`. Returns a function that retires it.
 */
export function startWatchdog(dir: string): () => void {
  const script = `
    while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
    if [ -f "$1/pgids" ]; then for g in $(cat "$1/pgids"); do kill -KILL -- "-$g" 2>/dev/null; done; fi
    for f in "$1"/cleanup-*.sh; do [ -f "$f" ] && bash "$f"; done
    rm -rf "$1"`;
  const child = spawn('bash', ['-c', script, 'watchdog', dir], { detached: true, stdio: 'ignore' });
  child.unref();
  return () => signalGroup(child.pid!, 'SIGKILL');
}

export interface SpawnOptions {
  /** Directory of the log file and of the `pgids` list the watchdog reads. */
  dir: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Spawns `command` in a new process group, stdout and stderr appended to `<dir>/<name>.log`. */
export function spawnManaged(name: string, command: string, args: string[], options: SpawnOptions): Managed {
  installExitHooks();
  const logFile = join(options.dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env ?? childEnv(),
      cwd: options.cwd,
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name} (${command})`);
  liveGroups.add(pid);
  appendFileSync(join(options.dir, 'pgids'), `${pid}\n`);
  let running = true;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running = false;
      liveGroups.delete(pid);
      // Anything the process left in its group (it should be alone) goes with it.
      signalGroup(pid, 'SIGKILL');
      resolve();
    });
  });
  return {
    name,
    pid,
    logFile,
    exited,
    isRunning: () => running,
    async stop(graceMs = 5000) {
      if (!running) return;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The environment for children: loopback traffic must never go through a proxy set for package registries. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const key of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy']) {
    delete env[key];
  }
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost';
  return env;
}

/** The last lines of a log file, for error messages that show why a process did not come up. */
export function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 60_000, intervalMs = 200, alive }: { timeoutMs?: number; intervalMs?: number; alive?: Managed } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (alive && !alive.isRunning()) {
      throw new Error(`${alive.name} exited while waiting for ${what}; its log:\n${tailOf(alive.logFile)}`);
    }
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      const log = alive ? `\n${alive.name} log:\n${tailOf(alive.logFile)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}${log}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Writes a file with owner-only permissions (keys, kubeconfigs). */
export function writePrivate(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
}
