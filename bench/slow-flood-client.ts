// The slow-body flood of bench/hostile.bench.ts, as a process of its own: `node --import tsx
// bench/slow-flood-client.ts PORT CA_FILE CONNECTIONS`. CONNECTIONS connections from 127.0.0.2 (another address than
// the normal reviews': an attacker's Pod, not the API server), each declaring a 7 MiB body, sending 3 MiB at once
// and then 32 KiB every 100 ms (320 KiB/s, above the minimum rate, so each is held as long as it can be); each one
// answered (429, 408) is dropped and opened again 50 ms later. Stops when stdin closes (at most after 60 s), and
// prints what happened as JSON.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

const MiB = 1024 * 1024;
const [port, caFile, connections] = [Number(process.argv[2]), process.argv[3]!, Number(process.argv[4] ?? 40)];
const ca = readFileSync(caFile);
let stopping = false;
const outcome = { opened: 0, refused429: 0, dropped408: 0, other: 0 };
const open = new Set<tls.TLSSocket>();

function one(): void {
  if (stopping) return;
  outcome.opened++;
  const socket = tls.connect({ socket: net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' }), ca, servername: 'localhost' });
  open.add(socket);
  let first = '';
  let timer: NodeJS.Timeout | undefined;
  socket.on('data', (d: Buffer) => {
    if (first !== '') return;
    first = d.toString('latin1', 0, 12);
    socket.destroy();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    clearInterval(timer);
    open.delete(socket);
    if (stopping) return;
    if (first.includes('429')) outcome.refused429++;
    else if (first.includes('408')) outcome.dropped408++;
    else outcome.other++;
    setTimeout(one, 50);
  });
  socket.once('secureConnect', () => {
    socket.write(`POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${7 * MiB}\r\n\r\n`);
    socket.write(Buffer.alloc(3 * MiB, 0x20));
    timer = setInterval(() => socket.write(Buffer.alloc(32 * 1024, 0x20)), 100);
  });
}

const stop = () => {
  if (stopping) return;
  stopping = true;
  for (const s of open) s.destroy();
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  process.exit(0);
};
for (let i = 0; i < connections; i++) one();
process.stdin.on('data', stop);
process.stdin.on('end', stop);
setTimeout(stop, 60_000).unref();
