// Writes the admission answers decided in one event-loop turn together, at the end of the turn, instead of each
// the moment it is decided. Why: an answer written on its own usually finds its client (the API server's
// connection goroutines, or the bench's load generator) asleep since the previous one, and the write pays for
// waking it on another CPU. On the 2-vCPU VMs we measure on, that wake-up was the single largest cost of a review
// under load (a 1.5 KB answer's res.end took 34 µs of CPU one by one, 15 µs in batches). Answers written back to
// back wake a client once. Redis writes its replies before the event loop sleeps for the same reason.
//
// What it costs: an answer waits for the rest of its turn, and at most MAX_HOLD_MS: past that, the batch is
// written at once. Under light load a turn holds one review, and the answer goes out in the same loop iteration.
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/** The longest an answer is held back for the rest of its turn's answers. */
export const MAX_HOLD_MS = 2;

export interface Reply {
  res: ServerResponse;
  body: string;
  /** Runs once the answer is handed to the socket (metrics and the log line time the written answer). */
  written: () => void;
}

export class ReplyBatch {
  private pending: Reply[] = [];
  private oldest = 0;
  private scheduled = false;
  private readonly flushScheduled = () => {
    this.scheduled = false;
    this.flush();
  };

  /** maxHoldMs: MAX_HOLD_MS in the server; a test that checks the holding itself sets one no preemption can reach. */
  constructor(private readonly maxHoldMs = MAX_HOLD_MS) {}

  send(reply: Reply): void {
    const now = performance.now();
    if (this.pending.length === 0) this.oldest = now;
    this.pending.push(reply);
    if (now - this.oldest >= this.maxHoldMs) {
      this.flush(); // a turn this long has held its first answer long enough; what follows waits for the check phase
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushScheduled);
    }
  }

  /** Writes every pending answer, then runs their `written` callbacks (so the writes go out back to back). */
  flush(): void {
    const replies = this.pending;
    if (replies.length === 0) return;
    this.pending = [];
    const sent = replies.map((r) => {
      try {
        writeJson(r.res, 200, r.body);
        return true;
      } catch (err) {
        // Not expected (nothing else writes to these responses); the client gets a reset rather than a hang.
        r.res.destroy(err instanceof Error ? err : new Error(String(err)));
        return false;
      }
    });
    replies.forEach((r, i) => {
      if (sent[i]) r.written();
    });
  }
}

export function writeJson(res: ServerResponse, status: number, body: string): void {
  // 429: the API server retries the call (within its timeout) or applies the failure policy.
  if (status === 429) res.setHeader('retry-after', '1');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
