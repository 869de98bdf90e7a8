// Runs a command to completion and measures its wall time and peak RSS (VmHWM from /proc, polled).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcResult { code: number | null; ms: number; peakRssMb: number; stdoutBytes: number; stderr: string }

export function measure(cmd: string, args: string[], env: Record<string, string> = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let peakKb = 0;
    let stdoutBytes = 0;
    let stderr = '';
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch { /* exited */ }
    }, 10);
    child.stdout.on('data', (b: Buffer) => { stdoutBytes += b.length; });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, ms: Number(process.hrtime.bigint() - start) / 1e6, peakRssMb: peakKb / 1024, stdoutBytes, stderr });
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
