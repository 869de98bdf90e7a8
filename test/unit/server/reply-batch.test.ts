// ReplyBatch holds the answers decided in one event-loop turn and writes them together at its end: none is
// written before the turn ends, each is written once, whole, with its headers; `written` runs after the writes
// (so the log and the duration metric describe written answers); a turn longer than MAX_HOLD_MS stops holding.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MAX_HOLD_MS, ReplyBatch } from '../../../src/server/reply-batch.ts';

interface FakeResponse {
  res: ServerResponse;
  events: string[];
}

/** A ServerResponse stand-in that records what is done to it, into one shared timeline. */
function fakeResponse(name: string, timeline: string[], opts: { throwOnEnd?: boolean } = {}): FakeResponse {
  const events: string[] = [];
  const record = (e: string) => {
    events.push(e);
    timeline.push(`${name} ${e}`);
  };
  const res = {
    setHeader: (k: string, v: string) => record(`header ${k}=${v}`),
    writeHead: (status: number, headers: Record<string, unknown>) => record(`head ${status} ${JSON.stringify(headers)}`),
    end: (body: string) => {
      if (opts.throwOnEnd) throw new Error('write after end');
      record(`end ${body}`);
    },
    destroy: (err: Error) => record(`destroy ${err.message}`),
  };
  return { res: res as unknown as ServerResponse, events };
}

describe('ReplyBatch', () => {
  it('writes a turn\'s answers together once the turn ends, then runs their callbacks', async () => {
    const timeline: string[] = [];
    // A hold no descheduling of this process can outlast (with MAX_HOLD_MS, a loaded CI machine flushed mid-turn).
    const batch = new ReplyBatch(60_000);
    const a = fakeResponse('a', timeline);
    const b = fakeResponse('b', timeline);
    batch.send({ res: a.res, body: '{"a":1}', written: () => timeline.push('a written') });
    batch.send({ res: b.res, body: '{"b":"é"}', written: () => timeline.push('b written') });
    assert.deepEqual(timeline, [], 'nothing is written during the turn');
    await nextTurn();
    assert.deepEqual(timeline, [
      'a head 200 {"content-type":"application/json","content-length":7}',
      'a end {"a":1}',
      'b head 200 {"content-type":"application/json","content-length":10}', // bytes, not characters
      'b end {"b":"é"}',
      'a written',
      'b written',
    ]);
    await nextTurn();
    assert.equal(timeline.length, 6, 'each answer is written once');
  });

  it('stops holding answers in a turn longer than MAX_HOLD_MS', async () => {
    const timeline: string[] = [];
    const batch = new ReplyBatch();
    const first = fakeResponse('first', timeline);
    batch.send({ res: first.res, body: '1', written: () => {} });
    const until = performance.now() + MAX_HOLD_MS + 1;
    while (performance.now() < until) { /* a long turn: decisions that took a while */ }
    const second = fakeResponse('second', timeline);
    batch.send({ res: second.res, body: '2', written: () => {} });
    assert.deepEqual(timeline.filter((e) => e.includes(' end ')), ['first end 1', 'second end 2'], 'written at once, in order');
    const third = fakeResponse('third', timeline);
    batch.send({ res: third.res, body: '3', written: () => {} });
    assert.equal(third.events.length, 0, 'a new batch starts holding again');
    await nextTurn();
    assert.deepEqual(third.events.at(-1), 'end 3');
  });

  it('a response that cannot be written is destroyed; the others are written and reported', async () => {
    const timeline: string[] = [];
    const batch = new ReplyBatch();
    const bad = fakeResponse('bad', timeline, { throwOnEnd: true });
    const good = fakeResponse('good', timeline);
    let badWritten = false;
    batch.send({ res: bad.res, body: 'x', written: () => { badWritten = true; } });
    batch.send({ res: good.res, body: 'y', written: () => timeline.push('good written') });
    await nextTurn();
    assert.equal(badWritten, false);
    assert.ok(bad.events.includes('destroy write after end'), `the bad response is destroyed after its failed write: ${JSON.stringify(bad.events)}`);
    assert.deepEqual(timeline.slice(-2), ['good end y', 'good written']);
  });
});
