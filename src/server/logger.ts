// The one logger of a `serve` process, made at start-up from config and passed down. JSON lines for log
// collectors; pino-pretty only when a person watches a terminal.
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../config/types.ts';

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  /** Pretty output; defaults to "stdout is a terminal". */
  pretty?: boolean;
  /** Where JSON lines go: a file descriptor or a file path (tests); defaults to stdout. */
  destination?: number | string;
}

export function createLogger(options: LoggerOptions): Logger {
  // `service`, not pino's usual `name`: a review line's `name` is the reviewed object's, and one JSON line must not
  // carry the same key twice (collectors keep either one).
  const base = { level: options.level, base: { service: 'flink-ha-webhook' } };
  if (options.pretty ?? process.stdout.isTTY === true) {
    return pino(base, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
  }
  // One synchronous write(2) per event-loop turn (LineBatch), after the turn's answers are written: pino's default
  // synchronous destination, without its write per line. An asynchronous destination did the same write on a
  // libuv pool thread, and the two thread wake-ups per write cost more CPU than the write (5 µs of every review
  // under load). What is still batched is written on exit.
  const lines = new LineBatch(pino.destination({ dest: options.destination ?? 1, sync: true }));
  process.once('exit', () => lines.flushSync());
  return pino(base, lines);
}

/**
 * `logger.info(fields, msg)` for the review path, through pino's public API only (a library's internals are not
 * ours to depend on: it once rebuilt pino's line from pino's private symbols to save a few µs per review).
 */
export function logInfo(logger: Logger, fields: Record<string, unknown>, msg: string): void {
  logger.info(fields, msg);
}

type SonicBoomLike = ReturnType<typeof pino.destination>;

/**
 * Hands the lines of one event-loop turn to the destination as one string. sonic-boom measures the UTF-8 length
 * of its whole pending buffer on every write; under load, one write per review line cost ~2 µs of each review.
 * The lines and their order are unchanged.
 */
class LineBatch implements DestinationStream {
  private pending: string[] = [];
  private scheduled = false;
  private readonly drain = () => this.flush();

  constructor(private readonly sink: SonicBoomLike) {}

  write(line: string): void {
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Moves what is pending to the destination (pino's logger.flush() and exit both come through here). */
  flush(cb?: (err?: Error) => void): void {
    this.scheduled = false;
    if (this.pending.length > 0) {
      const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
      this.pending = [];
      this.sink.write(text);
    }
    if (cb) {
      this.sink.flush(cb);
    }
  }

  flushSync(): void {
    this.flush();
    try {
      this.sink.flushSync();
    } catch {
      // A destination already closed (EPIPE) or destroyed has nothing left to flush.
    }
  }
}
