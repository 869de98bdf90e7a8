// `flink-ha-webhook serve` as a user meets it when something is wrong: a clear message and exit code, never a
// stack trace. (Starting, serving and stopping are covered by sigterm.test.ts.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');

function serve(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/flink-ha-webhook.mjs', 'serve', '--host', '127.0.0.1', ...args], {
      cwd: ROOT,
      env: { ...process.env, KUBERNETES_SERVICE_HOST: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('serve refuses bad setups clearly', () => {
  let dir: string;
  let busy: Server;
  let busyPort: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fhw-cli-'));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  after(() => {
    busy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const CASES: Array<{ name: string; setup: () => string[]; code: number; says: RegExp }> = [
    { name: 'a port that is not a number', setup: () => ['--port', 'https'], code: 2, says: /a port number from 1 to 65535/ },
    {
      name: 'a config file with a bad field',
      setup: () => {
        writeFileSync(join(dir, 'bad.yaml'), 'server:\n  port: 70000\n');
        return ['--config', join(dir, 'bad.yaml')];
      },
      code: 2,
      says: /bad\.yaml: server\.port: must be <= 65535/,
    },
    { name: 'a port already in use', setup: () => ['--port', String(busyPort), '--cert-dir', join(dir, 'certs-busy')], code: 1, says: /could not start: listen EADDRINUSE/ },
    {
      name: 'half a key pair in the cert dir',
      setup: () => {
        writeFileSync(join(dir, 'half-tls.crt'), 'x');
        return ['--port', String(busyPort), '--cert-dir', dir, '--config', writeConfig('certFile: half-tls.crt')];
      },
      code: 1,
      says: /half-tls\.crt exists but .*tls\.key does not: provide both, or neither/,
    },
  ];
  const writeConfig = (tls: string) => {
    const file = join(dir, 'tls.yaml');
    writeFileSync(file, `tls:\n  ${tls}\n`);
    return file;
  };

  for (const c of CASES) {
    it(`${c.name}: exit ${c.code} with a message`, async () => {
      const { code, out } = await serve(c.setup());
      assert.equal(code, c.code, out);
      assert.match(out, c.says);
      assert.doesNotMatch(out, /^\s+at .*\(.*:\d+:\d+\)$/m, 'no stack trace');
    });
  }
});
