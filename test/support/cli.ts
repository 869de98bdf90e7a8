// The CLI in tests: in-process through `run(argv, io)` (fast, no child process), or as the real compiled binary
// (bin/ runs dist/, built by `npm run build`; the test scripts build it first) for the few tests that need a process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { bufferIo, run } from '../../src/cli/main.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'flink-ha-webhook.mjs');

/** Runs the CLI in this process; env is only what is given (no FLINK_HA_* leaks in from the test's environment). */
export async function runCli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const io = bufferIo(options.stdin ?? '', options.env ?? {});
  const code = await run(args, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

/** Runs the real binary as a child process, without blocking the event loop (a test's own servers keep answering). */
export function spawnCli(args: string[], options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** No stack trace: what a user must never see. */
export const STACK_TRACE = /\n\s+at .+:\d+:\d+/;
