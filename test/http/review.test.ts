// Review round trips through the real server: uid echo, DELETE via oldObject, dry-run, a policy that throws,
// the one log line per review, /metrics, /healthz and /readyz (which fails first on shutdown).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { defaultConfig } from '../../src/config/load.ts';
import type { Decision } from '../../src/policy/types.ts';
import { REVIEWS_DIR, admissionResponseOf, postRaw, sampleReview, startTestServer, type TestServer } from './helpers.ts';
import { fakeCluster } from '../support/policy.ts';

const post = (srv: TestServer, path: string, review: unknown) => postRaw(srv.url + path, JSON.stringify(review), { ca: srv.ca });

describe('admission round trips', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ config: { storageDirTemplate: 's3://flink-ha/{namespace}/{clusterId}' } });
  });
  after(() => srv.close());

  const samples = readdirSync(REVIEWS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
  for (const name of samples) {
    for (const path of ['/mutate', '/validate']) {
      it(`${name} on ${path}: a well-formed review that echoes the uid`, async () => {
        const review = sampleReview(name);
        const res = admissionResponseOf(await post(srv, path, review), review.request.uid);
        if (path === '/validate') assert.equal(res.patch, undefined, 'the validating webhook never patches');
      });
    }
  }

  it('a DELETE is judged on oldObject (object is null)', async () => {
    const review = sampleReview('ha-configmap-delete');
    assert.equal(review.request.object, null);
    const res = admissionResponseOf(await post(srv, '/validate', review));
    assert.equal(res.allowed, false);
    assert.match(res.status?.message ?? '', /basic-example-cluster-config-map/);
  });

  it('a dryRun review is decided exactly like the real one, and logs and metrics say dry-run', async () => {
    const real = admissionResponseOf(await post(srv, '/validate', sampleReview('ha-configmap-delete')));
    const dry = sampleReview('ha-configmap-delete-dry-run');
    const dryRes = admissionResponseOf(await post(srv, '/validate', dry), dry.request.uid);
    assert.deepEqual({ ...dryRes, uid: '' }, { ...real, uid: '' });
    const line = srv.logs.find((l) => l.uid === dry.request.uid);
    assert.equal(line?.dryRun, true);
    const metrics = await request(srv.ws.server).get('/metrics').ca(srv.ca);
    assert.match(metrics.text, /flink_ha_webhook_dry_run_reviews_total\{webhook="validate"\} [1-9]/);
  });

  it('one log line per review, with identity, rules and decision, and never object data', async () => {
    const review = sampleReview('ha-configmap-update');
    review.request.uid = 'log-line-check';
    await post(srv, '/validate', review);
    const lines = srv.logs.filter((l) => l.uid === 'log-line-check');
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.deepEqual(
      { kind: line.kind, namespace: line.namespace, name: line.name, operation: line.operation, user: line.user, dryRun: line.dryRun, decision: line.decision, webhook: line.webhook },
      { kind: 'ConfigMap', namespace: 'flink-jobs', name: 'basic-example-cluster-config-map', operation: 'UPDATE', user: 'jane@example.com', dryRun: false, decision: 'denied', webhook: 'validate' },
    );
    assert.ok(Array.isArray(line.rules) && (line.rules as string[]).includes('no-ha-data-strip:denied'), `the log line names no-ha-data-strip:denied: ${JSON.stringify(line.rules)}`);
    assert.equal(typeof line.durationMs, 'number');
    const text = JSON.stringify(srv.logs);
    for (const secret of ['akka.tcp', 'submittedJobGraph', 'holderIdentity', 'StateMachineExample']) assert.ok(!text.includes(secret), `logs leak ${secret}`);
  });

  it('/metrics: latency per webhook path, decisions by rule and action, certificate expiry', async () => {
    await post(srv, '/mutate', sampleReview('flinkdeployment-create'));
    const res = await request(srv.ws.server).get('/metrics').ca(srv.ca);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
    assert.match(res.text, /flink_ha_webhook_admission_duration_seconds_count\{webhook="mutate"\} [1-9]/);
    assert.match(res.text, /flink_ha_webhook_admission_duration_seconds_count\{webhook="validate"\} [1-9]/);
    assert.match(res.text, /flink_ha_webhook_rule_decisions_total\{webhook="mutate",rule="ha-enabled",action="mutated"\} [1-9]/);
    assert.match(res.text, /flink_ha_webhook_rule_decisions_total\{webhook="validate",rule="protect-ha-configmap",action="denied"\} [1-9]/);
    assert.match(res.text, /flink_ha_webhook_admission_reviews_total\{webhook="mutate",outcome="patched"\} [1-9]/);
    const expiry = /^flink_ha_webhook_certificate_expiry_timestamp_seconds (\S+)$/m.exec(res.text);
    assert.equal(Number(expiry?.[1]), srv.ws.certs.current().notAfter.getTime() / 1000);
    const left = Number(/^flink_ha_webhook_certificate_expires_in_seconds (\S+)$/m.exec(res.text)?.[1]);
    assert.ok(left > 300 * 24 * 3600, `a fresh dev certificate has most of a year left (${left} s)`);
  });
});

describe('a policy that throws (a bug) is answered, never a 5xx', () => {
  const failing = (): Promise<Decision> => Promise.reject(new Error('boom in a rule'));
  let ignore: TestServer;
  let fail: TestServer;
  before(async () => {
    ignore = await startTestServer({ decide: failing });
    fail = await startTestServer({ decide: failing, config: { mutationFailurePolicy: 'Fail' } });
  });
  after(async () => {
    await ignore.close();
    await fail.close();
  });

  it('/validate denies (fail closed), naming policy-error', async () => {
    const res = admissionResponseOf(await post(ignore, '/validate', sampleReview('ha-configmap-delete')));
    assert.equal(res.allowed, false);
    assert.equal(res.status?.code, 500);
    assert.match(res.status?.message ?? '', /^policy-error: .*boom in a rule.*refused/);
    assert.ok(res.auditAnnotations?.['policy-error'], `a policy-error audit annotation: ${JSON.stringify(res.auditAnnotations)}`);
  });

  it('/mutate with mutationFailurePolicy Ignore admits unchanged, with a policy-error warning', async () => {
    const res = admissionResponseOf(await post(ignore, '/mutate', sampleReview('deployment-create')));
    assert.equal(res.allowed, true, 'a Deployment is admitted unchanged');
    assert.equal(res.patch, undefined);
    assert.match(res.warnings?.[0] ?? '', /^policy-error: .*boom in a rule/);
  });

  // A Pod is decided with both halves on /mutate (its validating call is gone): a policy error denies it, as the
  // validating call's did before, whatever mutationFailurePolicy says.
  it('/mutate denies a Pod (its validation is decided there) even with mutationFailurePolicy Ignore', async () => {
    const res = admissionResponseOf(await post(ignore, '/mutate', sampleReview('pod-create')));
    assert.equal(res.allowed, false, 'a Pod whose review throws is refused (fail closed, as its validation was)');
    assert.match(res.status?.message ?? '', /^policy-error: .*boom in a rule/);
  });

  it('/mutate with mutationFailurePolicy Fail denies', async () => {
    const res = admissionResponseOf(await post(fail, '/mutate', sampleReview('pod-create')));
    assert.equal(res.allowed, false);
    assert.match(res.status?.message ?? '', /^policy-error:/);
  });

  it('counts policy errors in /metrics and logs them', async () => {
    const res = await request(ignore.ws.server).get('/metrics').ca(ignore.ca);
    assert.match(res.text, /flink_ha_webhook_admission_errors_total\{webhook="validate",reason="policy_error"\} [1-9]/);
    assert.ok(ignore.logs.some((l) => l.msg === 'the policy failed on this review' && l.level === 50), `an error-level log 'the policy failed on this review': ${JSON.stringify(ignore.logs.map((l) => [l.level, l.msg]))}`);
  });
});

describe('health and readiness', () => {
  it('/healthz and /readyz answer 200; on shutdown /readyz fails first while reviews are still answered', async () => {
    const srv = await startTestServer({ config: { server: { ...defaultConfig().server, drainDelayMs: 400, shutdownDeadlineMs: 5000 } } });
    try {
      assert.equal((await request(srv.ws.server).get('/healthz').ca(srv.ca)).status, 200);
      assert.equal((await request(srv.ws.server).get('/readyz').ca(srv.ca)).status, 200);
      const stopping = srv.ws.shutdown();
      const ready = await request(srv.ws.server).get('/readyz').ca(srv.ca);
      assert.equal(ready.status, 503);
      assert.equal(ready.text, 'shutting down');
      const review = await post(srv, '/mutate', sampleReview('pod-create'));
      admissionResponseOf(review);
      assert.equal(review.headers.connection, 'close', 'answers while draining retire their connection');
      await stopping;
      assert.equal(srv.ws.server.listening, false);
    } finally {
      await srv.close();
    }
  });
});

// One call per Pod: /mutate answers a Pod with its validating half too (docs/latency.md), so the HA ServiceAccount's
// rights are checked on the ServiceAccount the patch binds; other kinds keep their halves apart.
describe('a Pod is judged whole on /mutate', () => {
  const cluster = (canManage: boolean) => fakeCluster({
    namespaces: new Map([['flink-jobs', { labels: {}, annotations: {} }]]),
    serviceAccounts: new Set(['flink-jobs/flink']),
    rights: new Map([['flink-jobs/flink', canManage]]),
  });
  for (const canManage of [false, true]) {
    it(`warns ${canManage ? 'nothing' : 'that the bound ServiceAccount may not manage ConfigMaps'} (rights: ${canManage})`, async () => {
      const srv = await startTestServer({ cluster: cluster(canManage) });
      try {
        const res = admissionResponseOf(await post(srv, '/mutate', sampleReview('pod-create')));
        assert.equal(res.allowed, true, 'a Pod is never refused for its ServiceAccount\'s rights: a warning');
        assert.ok(res.patch, 'the ServiceAccount is bound');
        const rights = (res.warnings ?? []).filter((w) => w.startsWith('[ha-service-account] ServiceAccount flink may not'));
        assert.equal(rights.length, canManage ? 0 : 1, `the validating half's warning, on the bound ServiceAccount: ${JSON.stringify(res.warnings)}`);
      } finally {
        await srv.close();
      }
    });
  }
  it('a Deployment on /mutate gets only the mutating half (its validation stays a call of its own)', async () => {
    const srv = await startTestServer({ cluster: cluster(false) });
    try {
      const res = admissionResponseOf(await post(srv, '/mutate', sampleReview('deployment-create')));
      assert.ok(!(res.warnings ?? []).some((w) => w.includes('may not get/list/watch')), `no rights warning on /mutate: ${JSON.stringify(res.warnings)}`);
    } finally {
      await srv.close();
    }
  });
});
