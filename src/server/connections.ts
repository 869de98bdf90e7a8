// Tracks the server's TLS connections and whether each is busy, so that shutdown closes only connections that
// have been idle for a while. node's own server.close() destroys every idle connection at once, including one
// accepted a moment ago whose first request is still on the wire: that request would be lost.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Server } from 'node:https';

interface ConnState {
  active: number;
  idleSince: number;
}

export interface ConnectionTracker {
  /** Call for every request (marks its connection busy until the response is done). */
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Destroys connections idle for at least `idleMs`; returns how many remain. */
  closeIdle(idleMs: number): number;
  closeAll(): void;
  size(): number;
}

export function trackConnections(server: Server): ConnectionTracker {
  const conns = new Map<Socket, ConnState>();
  server.on('secureConnection', (socket: Socket) => {
    conns.set(socket, { active: 0, idleSince: Date.now() });
    socket.once('close', () => conns.delete(socket));
  });
  return {
    onRequest(req, res) {
      const state = conns.get(req.socket);
      if (!state) return;
      state.active++;
      res.once('close', () => {
        state.active--;
        state.idleSince = Date.now();
      });
    },
    closeIdle(idleMs) {
      const now = Date.now();
      for (const [socket, state] of conns) {
        if (state.active === 0 && now - state.idleSince >= idleMs) socket.destroy();
      }
      return conns.size;
    },
    closeAll() {
      for (const socket of conns.keys()) socket.destroy();
    },
    size: () => conns.size,
  };
}
