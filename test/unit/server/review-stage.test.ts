// ReviewStage starts a turn's reviews together in its check phase, in arrival order, and calls `settled` once
// every review that needed no I/O is done (however many promise steps it took), without waiting for one that does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { ReviewStage } from '../../../src/server/review-stage.ts';

/** A decision that takes `hops` promise steps and no I/O, like decide() offline. */
async function steps(hops: number): Promise<void> {
  for (let i = 0; i < hops; i++) await Promise.resolve();
}

describe('ReviewStage', () => {
  it('starts a turn\'s jobs in its check phase, in order, and settles after those that need no I/O', async () => {
    const events: string[] = [];
    const stage = new ReviewStage(() => events.push('settled'));
    let release!: () => void;
    const io = new Promise<void>((resolve) => { release = resolve; });
    stage.start(() => { events.push('start a'); void steps(25).then(() => events.push('done a')); });
    stage.start(() => { events.push('start b'); void io.then(() => events.push('done b (after I/O)')); });
    stage.start(() => { events.push('start c'); void steps(3).then(() => events.push('done c')); });
    assert.deepEqual(events, [], 'nothing starts while the turn runs');
    await nextTurn();
    assert.deepEqual(events, ['start a', 'start b', 'start c', 'done c', 'done a', 'settled']);
    release();
    await sleep(1);
    assert.deepEqual(events.at(-1), 'done b (after I/O)');
  });

  it('each turn is its own round', async () => {
    const rounds: number[] = [];
    let started = 0;
    const stage = new ReviewStage(() => rounds.push(started));
    stage.start(() => { started++; });
    await nextTurn();
    stage.start(() => { started++; });
    stage.start(() => { started++; });
    await nextTurn();
    assert.deepEqual(rounds, [1, 3]);
  });
});
