// Properties over the real server: any bytes POSTed to either path get a well-formed answer (an AdmissionReview
// or a 4xx), never a 5xx or a crash; and a review that would delete or strip HA state is never allowed when the
// policy cannot decide (it throws, the cluster cannot be asked, or the object is full of garbage).
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import '../support/fast-check-seed.ts'; // FC_SEED replays a failure
import type { ClusterView, Decision } from '../../src/policy/types.ts';
import { type Json, type RawResponse, admissionResponseOf, postRaw, sampleReview, startTestServer, type TestServer } from './helpers.ts';

const PATHS = ['/mutate', '/validate'] as const;

/** A well-formed answer: a 200 AdmissionReview, or a 4xx Status with a message. */
function assertWellFormed(raw: RawResponse): void {
  assert.ok(raw.status < 500, `never a 5xx: ${raw.status} ${raw.body.slice(0, 200)}`);
  if (raw.status === 200) {
    admissionResponseOf(raw);
  } else {
    assert.ok([400, 413, 415].includes(raw.status), `an expected 4xx: ${raw.status}`);
    const status = JSON.parse(raw.body);
    assert.equal(status.code, raw.status);
    assert.ok(typeof status.message === 'string' && status.message.length > 0, `a 4xx carries a Status message: ${raw.body}`);
  }
}

/** Replaces the value at a random path of `doc` with `value`. */
function replaceAt(doc: Json, choice: number, value: unknown): Json {
  const paths: Array<Array<string | number>> = [];
  const walk = (node: unknown, path: Array<string | number>) => {
    paths.push(path);
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, [...path, Array.isArray(node) ? Number(k) : k]);
    }
  };
  walk(doc, []);
  const path = paths[choice % paths.length]!;
  if (path.length === 0) return value;
  const copy = structuredClone(doc);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path.at(-1)!] = value;
  return copy;
}

describe('any input gets a well-formed answer', () => {
  let srv: TestServer;
  let agent: https.Agent;
  before(async () => {
    srv = await startTestServer({ config: { storageDirTemplate: 's3://flink-ha/{namespace}/{clusterId}' } });
    agent = new https.Agent({ keepAlive: true, ca: srv.ca });
  });
  after(async () => {
    agent.destroy();
    await srv.close();
  });

  for (const path of PATHS) {
    it(`${path}: arbitrary bytes`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
          assertWellFormed(await postRaw(srv.url + path, Buffer.from(bytes), { ca: srv.ca, agent }));
        }),
        { numRuns: 150 },
      );
    });

    it(`${path}: a real review with any part replaced by any JSON`, async () => {
      const samples = ['pod-create', 'deployment-create', 'flinkdeployment-update', 'ha-configmap-update', 'ha-configmap-delete', 'namespace-delete'].map(sampleReview);
      await fc.assert(
        fc.asyncProperty(fc.nat(samples.length - 1), fc.nat(), fc.jsonValue({ maxDepth: 3 }), async (which, where, value) => {
          const body = JSON.stringify(replaceAt(samples[which], where, value));
          assertWellFormed(await postRaw(srv.url + path, body, { ca: srv.ca, agent }));
        }),
        { numRuns: 150 },
      );
    });
  }

  it('is still alive and healthy afterwards', async () => {
    const res = await postRaw(`${srv.url}/mutate`, JSON.stringify(sampleReview('pod-create')), { ca: srv.ca });
    admissionResponseOf(res);
  });
});

// A cluster that cannot be asked anything: every question fails.
const brokenCluster: ClusterView = {
  namespaceMeta: () => Promise.reject(new Error('API server unreachable')),
  serviceAccountExists: () => Promise.reject(new Error('API server unreachable')),
  serviceAccountCanManageConfigMaps: () => Promise.reject(new Error('API server unreachable')),
  flinkClusterIds: () => Promise.reject(new Error('API server unreachable')),
  namespaceHoldsHaState: () => Promise.reject(new Error('API server unreachable')),
  configMap: () => Promise.reject(new Error('API server unreachable')),
};

/** A non-owner: never the namespace's `flink` ServiceAccount nor any `flink-operator`. */
const foreignUser = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => `user-${s}@example.com`),
  fc.constantFrom('system:serviceaccount:argocd:argocd-application-controller', 'system:serviceaccount:kube-system:generic-garbage-collector', 'system:admin', 'kubernetes-admin'),
);

/** An HA ConfigMap (its labels intact) with garbage around them. */
const haConfigMap = fc.record({
  data: fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }), { nil: undefined }),
  annotations: fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }), { nil: undefined }),
  extraLabels: fc.dictionary(fc.string({ maxLength: 8 }).map((s) => `x-${s}`), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
  junk: fc.jsonValue({ maxDepth: 2 }),
}).map(({ data, annotations, extraLabels, junk }) => {
  const cm = structuredClone(sampleReview('ha-configmap-delete').request.oldObject);
  cm.metadata.labels = { ...extraLabels, ...cm.metadata.labels };
  if (annotations !== undefined) cm.metadata.annotations = annotations;
  if (data !== undefined) cm.data = { ...cm.data, ...data };
  cm.junk = junk;
  return cm;
});

/** DELETE, or an UPDATE that removes the HA data or the HA labels. */
const destructive = fc.tuple(haConfigMap, foreignUser, fc.constantFrom('delete', 'strip-data', 'strip-labels'), fc.boolean()).map(([cm, user, how, dryRun]) => {
  const review = sampleReview('ha-configmap-delete');
  review.request.userInfo = { username: user, groups: ['system:authenticated'] };
  review.request.oldObject = cm;
  review.request.dryRun = dryRun;
  if (how !== 'delete') {
    const next = structuredClone(cm);
    if (how === 'strip-data') next.data = {};
    else next.metadata.labels = { app: cm.metadata.labels.app };
    review.request.operation = 'UPDATE';
    review.request.object = next;
  }
  return review;
});

describe('a review that would delete or strip HA state is never allowed when the policy cannot decide', () => {
  const throwing = (): Promise<Decision> => Promise.reject(new Error('a bug'));
  const servers: Record<string, TestServer> = {};
  before(async () => {
    servers['policy throws'] = await startTestServer({ decide: throwing });
    servers['cluster unreachable, garbage around the HA data'] = await startTestServer({ cluster: brokenCluster });
  });
  after(async () => {
    for (const s of Object.values(servers)) await s.close();
  });

  for (const name of ['policy throws', 'cluster unreachable, garbage around the HA data']) {
    it(name, async () => {
      const srv = servers[name]!;
      await fc.assert(
        fc.asyncProperty(destructive, async (review) => {
          const res = admissionResponseOf(await postRaw(`${srv.url}/validate`, JSON.stringify(review), { ca: srv.ca }), review.request.uid);
          assert.equal(res.allowed, false, `${review.request.operation} by ${review.request.userInfo.username} was allowed`);
          assert.ok((res.status?.message ?? '').length > 0, `a refused ${review.request.operation} says why: ${JSON.stringify(res.status)}`);
        }),
        { numRuns: 120 },
      );
    });
  }
});
