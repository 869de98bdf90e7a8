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
 * `logger.info(fields, msg)` for the review path: the very line pino writes (its level, time, bindings, then the
 * fields with undefined ones left out, then msg), built with one native JSON.stringify of the fields instead of
 * pino's key-by-key serialisation: 2-3 µs less per review, and less garbage. Only for the JSON loggers made by
 * createLogger (no serializers, formatters or hooks); any other logger (pretty, a test's) goes through pino.
 * One difference, for strings no API server sends: a lone UTF-16 surrogate is written escaped (`\ud800`) where
 * pino writes it raw (and the write turns it into U+FFFD).
 */
export function logInfo(logger: Logger, fields: Record<string, unknown>, msg: string): void {
  if (!logger.isLevelEnabled('info')) return;
  const stream: unknown = Reflect.get(logger, pino.symbols.streamSym);
  if (!(stream instanceof LineBatch)) {
    logger.info(fields, msg);
    return;
  }
  const open = (Reflect.get(logger, pino.symbols.lsCacheSym) as Record<number, string>)[INFO]!;
  const time = (Reflect.get(logger, pino.symbols.timeSym) as () => string)();
  const bindings = Reflect.get(logger, pino.symbols.chindingsSym) as string;
  const end = Reflect.get(logger, pino.symbols.endSym) as string;
  const props = JSON.stringify(fields);
  // `{}` has no properties to add; otherwise its braces come off and its properties follow the bindings.
  const body = props.length > 2 ? `,${props.slice(1, -1)}` : '';
  stream.write(`${open}${time}${bindings}${body},"msg":${JSON.stringify(msg)}${end}`);
}

const INFO = 30;

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
    // A destination closed by EPIPE (pino makes its methods no-ops) or destroyed has nothing left to flush.
    if (!(this.sink as { destroyed?: boolean }).destroyed) this.sink.flushSync();
  }
}
