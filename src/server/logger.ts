// The one logger of a `serve` process, made at start-up from config and passed down. JSON lines for log
// collectors; pino-pretty only when a person watches a terminal.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../config/types.ts';

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  /** Pretty output; defaults to "stdout is a terminal". */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, base: { name: 'flink-ha-webhook' } };
  if (options.pretty ?? process.stdout.isTTY === true) {
    return pino(base, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }));
  }
  // Asynchronous writes keep the review path off the stdout pipe; pino flushes what is buffered on exit.
  return pino(base, pino.destination({ dest: 1, sync: false }));
}
