// A TCP proxy on 127.0.0.1 that holds every byte from the client (the API server) for a set delay before passing
// it on to the target (the webhook): a slow webhook, made without touching the product. TLS passes through
// untouched (the webhook's certificate is for 127.0.0.1, whatever the port), so the API server still verifies it.
import { createServer, connect, type Socket } from 'node:net';

export interface DelayProxy {
  port: number;
  url: string;
  /** The delay added to each request's bytes from now on (ms); 0 passes them on at once. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export async function startDelayProxy(targetPort: number): Promise<DelayProxy> {
  let delayMs = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    // Keep the order of chunks: each one leaves no earlier than the one before it.
    let lastRelease = 0;
    client.on('data', (chunk: Buffer) => {
      const release = Math.max(Date.now() + delayMs, lastRelease);
      lastRelease = release;
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      }, release - Date.now());
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('delay proxy: no port');
  return {
    port: address.port,
    url: `https://127.0.0.1:${address.port}`,
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
