// What a CLI run may touch of the outside world, passed in: the real process at the edge (bin/), buffers in tests.
// Subcommands write through it and return an exit code; only bin/ calls process.exit.
import { readFileSync } from 'node:fs';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** All of stdin as text (throws an errno error when it cannot be read). */
  readStdin: () => string;
  env: Record<string, string | undefined>;
  /** Progress lines are shown on a terminal only, never in pipes, files or CI logs. */
  stderrIsTTY: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: () => readFileSync(0, 'utf8'),
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
  };
}

/** A CLI run that keeps what it wrote, for tests and benchmarks (stdin is the given text). */
export function bufferIo(stdin = '', env: Record<string, string | undefined> = {}): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    readStdin: () => stdin,
    env,
    stderrIsTTY: false,
    out: () => out.join(''),
    err: () => err.join(''),
  };
}
