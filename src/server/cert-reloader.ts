// Hot reload of the serving pair. Polls the files' contents (not inotify: a mounted Secret is updated by an
// atomic `..data` symlink swap, and cert-manager may write cert and key a moment apart); a new pair that fails
// the checks of loadKeyPair is refused, the old one kept, and the failure logged and counted once per content.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { loadKeyPair, type KeyPair } from './certs.ts';
import type { Metrics } from './metrics.ts';

export interface CertReloaderOptions {
  certPath: string;
  keyPath: string;
  intervalMs: number;
  /** Installs an accepted pair (server.setSecureContext). */
  apply: (pair: KeyPair) => void;
  logger: Logger;
  metrics: Metrics;
}

export interface CertReloader {
  /** The pair in use. */
  current(): KeyPair;
  /** One poll, now (the timer calls this; tests may too). Returns whether a new pair was applied. */
  check(): boolean;
  stop(): void;
}

/** Loads the initial pair (throws if it is bad: the server cannot start without one) and starts polling. */
export function startCertReloader(options: CertReloaderOptions): CertReloader {
  const read = () => ({ cert: readFileSync(options.certPath), key: readFileSync(options.keyPath) });
  const digest = (f: { cert: Buffer; key: Buffer }) => createHash('sha256').update(f.cert).update('\0').update(f.key).digest('hex');

  const first = read();
  let pair = loadKeyPair(first.cert, first.key);
  let seen = digest(first);
  options.metrics.certificateLoaded(pair.notAfter);

  const check = (): boolean => {
    let files;
    try {
      files = read();
    } catch (err) {
      // Mid-swap a file can be briefly missing; the next poll sees the settled state.
      options.logger.debug({ err: (err as Error).message }, 'certificate files not readable, keeping the current pair');
      return false;
    }
    const d = digest(files);
    if (d === seen) return false;
    seen = d;
    let next: KeyPair;
    try {
      next = loadKeyPair(files.cert, files.key);
      options.apply(next);
    } catch (err) {
      options.metrics.certificateReload('failure');
      options.logger.error(
        { certFile: options.certPath, keyFile: options.keyPath, reason: (err as Error).message },
        'refused the new certificate pair; still serving the previous one',
      );
      return false;
    }
    pair = next;
    options.metrics.certificateLoaded(pair.notAfter);
    options.metrics.certificateReload('success');
    options.logger.info({ fingerprint: pair.fingerprint, notAfter: pair.notAfter.toISOString() }, 'serving a new certificate pair');
    return true;
  };

  const timer = setInterval(check, options.intervalMs);
  timer.unref();
  return { current: () => pair, check, stop: () => clearInterval(timer) };
}
