// release.ts: the one reading of flink-ha.io/release, shared by the HA ConfigMap, namespace and front-door guards.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { releaseReason } from '../../../src/policy/release.ts';

describe('releaseReason: a release must say why', () => {
  const rows: Array<[unknown, string | undefined]> = [
    ['cluster decommissioned, TICKET-42', 'cluster decommissioned, TICKET-42'],
    ['true', 'true'],
    ['', undefined],
    ['   ', undefined],
    ['false', undefined],
    ['False', undefined],
    [' FALSE ', undefined],
    [undefined, undefined],
    [42, undefined],
  ];
  for (const [value, want] of rows) {
    it(`${JSON.stringify(value)} -> ${want === undefined ? 'no release' : 'released'}`, () => {
      assert.equal(releaseReason(value), want, `releaseReason(${JSON.stringify(value)})`);
    });
  }
});
