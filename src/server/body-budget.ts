// The review bytes the webhook holds at once, and who holds them. Shared by both admission routes. Three bounds:
// the whole budget (memory), a share per client address (an attacker opens as many connections as he likes, from
// few addresses; the API server's calls come from its own, so a flood from elsewhere leaves it the rest), and one
// review's worth per connection (7 MiB: pipelined bodies on one connection cannot stack). A body that stops
// arriving is dropped by BodyRateWatch below, so a trickle cannot hold its bytes until the request timeout.
import type { Socket } from 'node:net';

export type Refusal = 'overloaded' | 'peer_overloaded';

export class BodyBudget {
  held = 0;
  private readonly byPeer = new Map<string, number>();
  private readonly bySocket = new WeakMap<Socket, number>();

  constructor(
    readonly limit: number,
    readonly perPeer: number,
    readonly perConnection: number,
  ) {}

  /** Why `bytes` more for this socket would pass a bound, or undefined. Takes nothing. */
  check(socket: Socket, bytes: number): Refusal | undefined {
    if (this.held + bytes > this.limit) return 'overloaded';
    if ((this.bySocket.get(socket) ?? 0) + bytes > this.perConnection) return 'peer_overloaded';
    if ((this.byPeer.get(peerOf(socket)) ?? 0) + bytes > this.perPeer) return 'peer_overloaded';
    return undefined;
  }

  /** Takes `bytes` for this socket if every bound allows it; else takes nothing and says why. */
  take(socket: Socket, bytes: number): Refusal | undefined {
    const refusal = this.check(socket, bytes);
    if (refusal) return refusal;
    this.held += bytes;
    this.bySocket.set(socket, (this.bySocket.get(socket) ?? 0) + bytes);
    const peer = peerOf(socket);
    this.byPeer.set(peer, (this.byPeer.get(peer) ?? 0) + bytes);
    return undefined;
  }

  give(socket: Socket, bytes: number): void {
    if (bytes === 0) return;
    this.held -= bytes;
    this.bySocket.set(socket, (this.bySocket.get(socket) ?? 0) - bytes);
    const peer = peerOf(socket);
    const left = (this.byPeer.get(peer) ?? 0) - bytes;
    if (left <= 0) this.byPeer.delete(peer);
    else this.byPeer.set(peer, left);
  }

  /** Bytes held by the connections from this address (for tests and the 429 message). */
  heldBy(address: string): number {
    return this.byPeer.get(address) ?? 0;
  }
}

function peerOf(socket: Socket): string {
  return socket.remoteAddress ?? '';
}

/** A body being received: how much has arrived, and how to drop it. */
export interface Arriving {
  readonly startedAt: number;
  received(): number;
  drop(): void;
}

/**
 * Drops bodies that arrive slower than `minBytesPerSecond`, measured over each tick once `graceMs` have passed
 * since the request's headers. One timer for all bodies, running only while some body is still arriving: most
 * bodies arrive within the turn their headers did and are never looked at.
 */
export class BodyRateWatch {
  private readonly arriving = new Map<Arriving, { at: number; bytes: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly minBytesPerSecond: number,
    private readonly graceMs: number,
    private readonly tickMs = 250,
  ) {}

  add(body: Arriving): void {
    if (this.minBytesPerSecond <= 0) return;
    this.arriving.set(body, { at: body.startedAt, bytes: 0 });
    this.timer ??= setInterval(() => this.tick(), this.tickMs).unref();
  }

  remove(body: Arriving): void {
    this.arriving.delete(body);
  }

  private tick(): void {
    // Stopped by a tick that finds nothing, not by the last remove: under load the set empties and fills again
    // many times a tick, and a timer made and cleared per review would cost the hot path.
    if (this.arriving.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const now = performance.now();
    for (const [body, mark] of this.arriving) {
      const bytes = body.received();
      const elapsed = now - mark.at;
      if (now - body.startedAt < this.graceMs) {
        // In the grace period: only remember where the body stood, to measure the next window from it.
        mark.at = now;
        mark.bytes = bytes;
        continue;
      }
      if (elapsed < 1000) continue; // measure over at least a second
      if (((bytes - mark.bytes) * 1000) / elapsed < this.minBytesPerSecond) {
        this.remove(body);
        body.drop();
        continue;
      }
      mark.at = now;
      mark.bytes = bytes;
    }
  }
}
