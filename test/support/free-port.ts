// One free-port helper for the tests, the e2e harness and the benchmarks.
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (asked of the kernel; freed again before it is used). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
