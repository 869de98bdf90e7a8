// Starts the reviews whose bodies arrived during one event-loop turn together, in the turn's check phase, instead
// of each the moment its body ends. Why: started one by one, every review runs the policy between two rounds of
// TLS, HTTP parsing and socket code, and finds the policy's code and data evicted from the CPU caches; started
// back to back, the policy runs warm, as it does in a loop. Measured under the bench's load on this 2-vCPU VM:
// 72 -> 62 µs of CPU per review. Nothing waits longer than it did: answers are written together at the end of
// the turn anyway (reply-batch.ts); a review that waits on the API server does not hold up the others.
export class ReviewStage {
  private pending: Array<() => void> = [];
  private readonly runPending = () => {
    const jobs = this.pending;
    this.pending = [];
    for (const job of jobs) job();
    // A nextTick queued from a microtask runs once the microtask queue is empty: when every review that needed
    // no I/O has been decided (their steps are all microtasks). The answers then go out in this same check phase
    // instead of after another poll (4 µs per review less); a review waiting on the API server is not waited for.
    queueMicrotask(() => process.nextTick(this.settled));
  };

  /** `settled` runs after each round, once the reviews that needed no I/O are decided (the replies' flush). */
  constructor(private readonly settled: () => void) {}

  /** Runs `job` in this turn's check phase, after the bodies that arrived before it. */
  start(job: () => void): void {
    this.pending.push(job);
    if (this.pending.length === 1) setImmediate(this.runPending);
  }
}
