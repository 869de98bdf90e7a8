// The server decides the reviews that arrive in one event-loop turn together and writes their answers together
// (review-stage.ts, reply-batch.ts). Over real HTTPS: every answer still goes to its own request, a review that
// waits on the API server holds up no other, and a client that leaves before its answer is written costs nothing.
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decide as policyDecide } from '../../src/policy/decide.ts';
import { admissionResponseOf, postRaw, sampleReview, startTestServer, type TestServer } from './helpers.ts';

const FIXTURES = [['/mutate', 'pod-create'], ['/mutate', 'flinkdeployment-create'], ['/validate', 'ha-configmap-update'], ['/validate', 'ha-configmap-delete']] as const;

describe('answers decided and written a turn at a time', () => {
  let srv: TestServer;
  /** uids whose decision waits until released (a policy that waits on the API server). */
  const held = new Map<string, Promise<void>>();
  before(async () => {
    srv = await startTestServer({
      decide: async (request, ctx, phase) => {
        const wait = held.get(String(request.object?.metadata?.uid ?? request.oldObject?.metadata?.uid ?? ''));
        if (wait) await wait;
        return policyDecide(request, ctx, phase);
      },
    });
  });
  after(() => srv.close());

  it('every concurrent review gets its own answer, the same as when sent alone', async () => {
    const alone = new Map<string, string>();
    for (const [path, fixture] of FIXTURES) {
      const res = admissionResponseOf(await postRaw(`${srv.url}${path}`, JSON.stringify(sampleReview(fixture)), { ca: srv.ca }));
      alone.set(fixture, JSON.stringify({ ...res, uid: undefined }));
    }
    const agent = new https.Agent({ keepAlive: true, maxSockets: 16, ca: srv.ca });
    try {
      const sent = Array.from({ length: 96 }, (_, i) => {
        const [path, fixture] = FIXTURES[i % FIXTURES.length]!;
        const review = sampleReview(fixture);
        review.request.uid = `turn-${i}`;
        return { path, fixture, uid: review.request.uid as string, body: JSON.stringify(review) };
      });
      const answers = await Promise.all(sent.map((s) => postRaw(`${srv.url}${s.path}`, s.body, { ca: srv.ca, agent })));
      answers.forEach((raw, i) => {
        const res = admissionResponseOf(raw, sent[i]!.uid);
        assert.equal(JSON.stringify({ ...res, uid: undefined }), alone.get(sent[i]!.fixture), sent[i]!.fixture);
      });
    } finally {
      agent.destroy();
    }
  });

  it('a review that waits does not hold up the others', async () => {
    let release!: () => void;
    const slow = sampleReview('pod-create');
    slow.request.object.metadata.uid = 'slow-pod';
    held.set('slow-pod', new Promise<void>((resolve) => { release = resolve; }));
    try {
      let slowDone = false;
      const slowAnswer = postRaw(`${srv.url}/mutate`, JSON.stringify(slow), { ca: srv.ca }).then((r) => { slowDone = true; return r; });
      await sleep(50); // the slow review is in its decision
      const fast = await Promise.all(FIXTURES.map(([path, fixture]) => postRaw(`${srv.url}${path}`, JSON.stringify(sampleReview(fixture)), { ca: srv.ca })));
      for (const r of fast) admissionResponseOf(r);
      assert.equal(slowDone, false, 'the fast answers came while the slow review still waited');
      release();
      admissionResponseOf(await slowAnswer);
    } finally {
      held.delete('slow-pod');
    }
  });

  it('a client that leaves before its answer is written costs nothing; the next review is answered', async () => {
    const body = JSON.stringify(sampleReview('flinkdeployment-create'));
    const port = new URL(srv.url).port;
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: Number(port), ca: srv.ca, servername: 'localhost' }, () => {
          socket.write(`POST /mutate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          // Gone as soon as the body is out: the review is decided and answered to a closed connection.
          setImmediate(() => { socket.destroy(); resolve(); });
        });
        socket.on('error', reject);
      });
    }
    await sleep(100);
    admissionResponseOf(await postRaw(`${srv.url}/mutate`, body, { ca: srv.ca }));
    assert.equal(srv.ws.server.listening, true);
  });
});
