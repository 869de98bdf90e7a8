// logInfo, the review path's logger.info: for the JSON loggers createLogger makes, it builds the line itself
// (one JSON.stringify instead of pino's key-by-key work). A log collector must not be able to tell: every line
// must be byte for byte what pino writes for the same fields and message, apart from the time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { createLogger, logInfo } from '../../../src/server/logger.ts';

/** The lines createLogger writes, to a temp file, for what `log` does with it. */
function linesOf(log: (logger: ReturnType<typeof createLogger>) => void, level: 'info' | 'warn' = 'info'): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'fhw-logger-'));
  try {
    const file = join(dir, 'log');
    const logger = createLogger({ level, pretty: false, destination: file });
    log(logger);
    logger.flush();
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const withoutTime = (line: string) => line.replace(/^(\{"level":\d+,"time":)\d+,/, '$1T,');

/** A review line's fields, as logReview builds them (strings, booleans, numbers, a list of strings). */
const REVIEW = {
  webhook: 'mutate',
  uid: '0d1f1a5e-6f1b-4f4b-9c1a-000000000001',
  kind: 'Pod',
  namespace: 'flink',
  name: 'session-jobmanager-7d9f',
  operation: 'CREATE',
  user: 'system:serviceaccount:kube-system:replicaset-controller',
  dryRun: false,
  rules: ['ha-enabled:mutated', 'cluster-id:mutated'],
  decision: 'patched',
  durationMs: 0.412,
};

describe('logInfo', () => {
  it('writes what pino writes for the same review fields', () => {
    const cases: Array<Record<string, unknown>> = [
      REVIEW,
      { ...REVIEW, namespace: undefined, user: undefined }, // cluster-scoped, no user: left out, as pino does
      { ...REVIEW, rules: [] },
      { ...REVIEW, name: 'quote " backslash \\ tab \t newline \n', user: 'ünïcödé ✓ 日本' },
      { ...REVIEW, durationMs: Number.NaN },
      { webhook: 'validate' },
      {},
    ];
    for (const fields of cases) {
      const [fast, viaPino] = linesOf((logger) => {
        logInfo(logger, fields, 'admission review');
        logger.info(fields, 'admission review');
      });
      assert.equal(withoutTime(fast!), withoutTime(viaPino!), JSON.stringify(fields));
      assert.doesNotThrow(() => JSON.parse(fast!));
    }
  });

  it('agrees with pino on any strings, numbers and booleans (property)', () => {
    // Lone UTF-16 surrogates are left out: the one documented difference (escaped here, raw in pino).
    const text = fc.string({ unit: 'binary' }).filter((s) => !/[\ud800-\udfff]/.test(s));
    const value = fc.oneof(text, fc.boolean(), fc.double(), fc.integer(), fc.array(text, { maxLength: 3 }), fc.constant(undefined));
    const samples = fc.sample(fc.tuple(fc.dictionary(text.filter((k) => k !== '__proto__'), value, { maxKeys: 6 }), text), { numRuns: 300, seed: 42 });
    const lines = linesOf((logger) => {
      for (const [fields, msg] of samples) {
        logInfo(logger, fields, msg);
        logger.info(fields, msg);
      }
    });
    assert.equal(lines.length, 2 * samples.length);
    for (let i = 0; i < samples.length; i++) assert.equal(withoutTime(lines[2 * i]!), withoutTime(lines[2 * i + 1]!), JSON.stringify(samples[i]));
  });

  it('writes nothing below the logger level', () => {
    assert.deepEqual(linesOf((logger) => logInfo(logger, REVIEW, 'admission review'), 'warn'), []);
  });

  it('goes through pino for any other logger', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    const logger = pino({ level: 'info', base: { service: 'x' }, formatters: { level: (label) => ({ level: label }) } }, sink);
    logInfo(logger, { webhook: 'mutate' }, 'admission review');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^\{"level":"info","time":\d+,"service":"x","webhook":"mutate","msg":"admission review"\}\n$/);
  });
});
