// Every rule id through the real server: the review goes in over HTTPS, the answer is checked, and a patch is
// decoded and applied to the object with fast-json-patch. Objects come from test/fixtures/reviews.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import jsonPatch from 'fast-json-patch';
import type { ClusterView } from '../../src/policy/types.ts';
import { type Json, admissionResponseOf, postRaw, sampleReview, startTestServer, type TestServer } from './helpers.ts';

type Question = Exclude<keyof ClusterView, 'configMap' | 'knownFlinkClusterIds' | 'flinkDeployment' | 'haConfigMapsOf' | 'boundPod' | 'exceptions'>;
type Answers = { [K in Question]?: Awaited<ReturnType<ClusterView[K]>> };

/** A ClusterView whose answers each case sets; anything unset is "could not check". */
function fakeCluster(answers: { current: Answers }): ClusterView {
  return {
    namespaceMeta: () => Promise.resolve(answers.current.namespaceMeta),
    serviceAccountExists: () => Promise.resolve(answers.current.serviceAccountExists),
    serviceAccountCanManageConfigMaps: () => Promise.resolve(answers.current.serviceAccountCanManageConfigMaps),
    flinkClusterIds: () => Promise.resolve(answers.current.flinkClusterIds),
    namespaceHoldsHaState: () => Promise.resolve(answers.current.namespaceHoldsHaState),
    // The one Pod that exists: the JobManager the ha-configmap-delete-by-flink review's token is bound to.
    boundPod: (ns, name) => Promise.resolve(ns === FLINK_POD.namespace && name === FLINK_POD.name ? { uid: FLINK_POD.uid, serviceAccountName: 'flink' } : null),
  };
}

const FLINK_POD = { namespace: 'flink-jobs', name: 'flink-jobmanager-7d9c8f6b5-x2x7q', uid: '8e3c0b7a-2b7f-4c9a-8e1d-3f6b2a9c4e70' };

const flinkConfigMap = (conf: string): Json => {
  const r = sampleReview('pod-create');
  r.request.kind = { group: '', version: 'v1', kind: 'ConfigMap' };
  r.request.resource = { group: '', version: 'v1', resource: 'configmaps' };
  r.request.name = 'flink-config';
  r.request.userInfo = { username: 'jane@example.com' };
  r.request.object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flink-config', namespace: 'flink-jobs', labels: { app: 'flink' } }, data: { 'flink-conf.yaml': conf } };
  return r;
};
const edit = (name: string, change: (request: Json) => void): Json => {
  const r = sampleReview(name);
  change(r.request);
  return r;
};

interface Case {
  rule: string;
  name: string;
  path: '/mutate' | '/validate';
  review: Json;
  cluster?: Answers;
  /** The server without a storageDirTemplate. */
  noTemplate?: boolean;
  allowed: boolean;
  /** Where the rule id must show: in a warning, or in the denial's message. */
  says: 'warning' | 'denial' | 'none';
  /** Checks on the patched object (a patch must be present when given). */
  patched?: (obj: Json) => void;
}

const CASES: Case[] = [
  {
    rule: 'ha-enabled', name: 'FlinkDeployment without HA gets Kubernetes HA', path: '/mutate', review: sampleReview('flinkdeployment-create'),
    allowed: true, says: 'warning', patched: (o) => assert.equal(o.spec.flinkConfiguration['high-availability.type'], 'kubernetes'),
  },
  {
    rule: 'ha-enabled', name: 'standalone flink-conf.yaml gets the HA factory class', path: '/mutate', review: flinkConfigMap('jobmanager.rpc.address: flink-jobmanager\n'),
    allowed: true, says: 'warning', patched: (o) => assert.match(o.data['flink-conf.yaml'], /^high-availability: org\.apache\.flink\.kubernetes\.highavailability\.KubernetesHaServicesFactory$/m),
  },
  {
    rule: 'ha-storage-dir', name: 'storageDir from the template', path: '/mutate', review: sampleReview('flinkdeployment-update'),
    allowed: true, says: 'warning', patched: (o) => assert.equal(o.spec.flinkConfiguration['high-availability.storageDir'], 's3://flink-ha/flink-jobs/basic-example'),
  },
  {
    rule: 'ha-storage-dir', name: 'no template: denied rather than invent a location', path: '/mutate', review: sampleReview('flinkdeployment-create'), noTemplate: true,
    allowed: false, says: 'denial',
  },
  {
    rule: 'cluster-id', name: 'standalone config gets the cluster-id its processes share', path: '/mutate', review: flinkConfigMap('jobmanager.rpc.address: flink-jobmanager\n'),
    allowed: true, says: 'warning', patched: (o) => assert.match(o.data['flink-conf.yaml'], /^kubernetes\.cluster-id: flink$/m),
  },
  {
    rule: 'cluster-id', name: 'a second cluster with the same id is denied', path: '/validate', review: sampleReview('flinkdeployment-create'),
    cluster: { flinkClusterIds: [{ clusterId: 'basic-example', owner: 'Deployment/basic-example' }], serviceAccountCanManageConfigMaps: true },
    allowed: false, says: 'denial',
  },
  {
    rule: 'cluster-id', name: 'its own entry is no conflict', path: '/validate', review: sampleReview('flinkdeployment-update'),
    cluster: { flinkClusterIds: [{ clusterId: 'basic-example', owner: 'FlinkDeployment/basic-example' }], serviceAccountCanManageConfigMaps: true },
    allowed: true, says: 'none',
  },
  {
    rule: 'ha-namespace', name: 'standalone config gets the workload namespace', path: '/mutate', review: flinkConfigMap('jobmanager.rpc.address: flink-jobmanager\n'),
    allowed: true, says: 'warning', patched: (o) => assert.match(o.data['flink-conf.yaml'], /^kubernetes\.namespace: flink-jobs$/m),
  },
  {
    rule: 'ha-namespace', name: 'an explicit other namespace is denied, not overwritten', path: '/mutate', review: flinkConfigMap('kubernetes.namespace: default\n'),
    allowed: false, says: 'denial',
  },
  {
    rule: 'standby-jobmanagers', name: 'FlinkDeployment gets a standby JobManager', path: '/mutate', review: sampleReview('flinkdeployment-create'),
    allowed: true, says: 'warning', patched: (o) => assert.equal(o.spec.jobManager.replicas, 2),
  },
  {
    rule: 'standby-jobmanagers', name: 'standalone JobManager Deployment gets 2 replicas', path: '/mutate', review: sampleReview('deployment-create'),
    allowed: true, says: 'warning', patched: (o) => assert.equal(o.spec.replicas, 2),
  },
  {
    rule: 'pod-ip-address', name: 'JobManager without a host arg advertises $(POD_IP)', path: '/mutate',
    review: edit('deployment-create', (r) => { r.object.spec.template.spec.containers[0].args = ['jobmanager']; }),
    allowed: true, says: 'warning', patched: (o) => assert.deepEqual(o.spec.template.spec.containers[0].args, ['jobmanager', '$(POD_IP)']),
  },
  {
    rule: 'pod-ip-address', name: 'JobManager advertising a Service name is denied', path: '/mutate',
    review: edit('deployment-create', (r) => { r.object.spec.template.spec.containers[0].args = ['jobmanager', 'flink-jobmanager']; }),
    allowed: false, says: 'denial',
  },
  {
    rule: 'ha-service-account', name: 'Pod on the default ServiceAccount is bound to flink', path: '/mutate', review: sampleReview('pod-create'),
    cluster: { serviceAccountExists: true }, allowed: true, says: 'warning', patched: (o) => assert.equal(o.spec.serviceAccountName, 'flink'),
  },
  {
    rule: 'ha-service-account', name: 'a ServiceAccount without ConfigMap rights is warned about', path: '/validate', review: sampleReview('deployment-create'),
    cluster: { serviceAccountCanManageConfigMaps: false, flinkClusterIds: [] }, allowed: true, says: 'warning',
  },
  {
    rule: 'protect-ha-configmap', name: "a user's DELETE of an HA ConfigMap is denied", path: '/validate', review: sampleReview('ha-configmap-delete'),
    allowed: false, says: 'denial',
  },
  {
    rule: 'protect-ha-configmap', name: "the cluster's own ServiceAccount may delete it", path: '/validate', review: sampleReview('ha-configmap-delete-by-flink'),
    allowed: true, says: 'none',
  },
  {
    rule: 'protect-ha-configmap', name: 'the same DELETE with impersonated extras naming a made-up pod is denied', path: '/validate',
    review: edit('ha-configmap-delete-by-flink', (r) => { r.userInfo.extra['authentication.kubernetes.io/pod-name'] = ['made-up-pod']; }),
    allowed: false, says: 'denial',
  },
  {
    rule: 'no-owner-reference', name: 'an ownerReference on an HA ConfigMap is denied', path: '/validate',
    review: edit('ha-configmap-update', (r) => {
      r.object = structuredClone(r.oldObject);
      r.object.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'flink-jobmanager', uid: '0b4f' }];
    }),
    allowed: false, says: 'denial',
  },
  {
    rule: 'no-ha-data-strip', name: 'a stale apply that empties the HA data is denied', path: '/validate', review: sampleReview('ha-configmap-update'),
    allowed: false, says: 'denial',
  },
  {
    rule: 'protect-namespace', name: 'DELETE of a namespace holding HA state is denied', path: '/validate', review: sampleReview('namespace-delete'),
    cluster: { namespaceHoldsHaState: true }, allowed: false, says: 'denial',
  },
  {
    rule: 'protect-namespace', name: 'could not check: denied (fail closed)', path: '/validate', review: sampleReview('namespace-delete'),
    allowed: false, says: 'denial',
  },
  {
    rule: 'protect-namespace', name: 'a namespace without HA state may go', path: '/validate', review: sampleReview('namespace-delete'),
    cluster: { namespaceHoldsHaState: false }, allowed: true, says: 'none',
  },
  {
    rule: 'policy-error', name: 'an unreadable FlinkDeployment is admitted unchanged by /mutate, with a warning', path: '/mutate',
    review: edit('flinkdeployment-create', (r) => { r.object.spec = 'garbage'; }), allowed: true, says: 'warning',
  },
  {
    rule: 'policy-error', name: 'an unreadable FlinkDeployment is denied by /validate', path: '/validate',
    review: edit('flinkdeployment-create', (r) => { r.object.spec = 'garbage'; }), allowed: false, says: 'denial',
  },
];

describe('every rule through /mutate and /validate', () => {
  const answers: { current: Answers } = { current: {} };
  let withTemplate: TestServer;
  let noTemplate: TestServer;
  before(async () => {
    withTemplate = await startTestServer({ config: { storageDirTemplate: 's3://flink-ha/{namespace}/{clusterId}' }, cluster: fakeCluster(answers) });
    noTemplate = await startTestServer({ cluster: fakeCluster(answers) });
  });
  after(async () => {
    await withTemplate.close();
    await noTemplate.close();
  });

  it('covers every rule id', () => {
    const ids = ['ha-enabled', 'ha-storage-dir', 'cluster-id', 'ha-namespace', 'standby-jobmanagers', 'pod-ip-address', 'ha-service-account',
      'protect-ha-configmap', 'no-owner-reference', 'no-ha-data-strip', 'protect-namespace', 'policy-error'];
    assert.deepEqual([...new Set(CASES.map((c) => c.rule))].sort(), ids.sort());
  });

  for (const c of CASES) {
    it(`${c.rule}: ${c.name} (${c.path})`, async () => {
      answers.current = c.cluster ?? {};
      const srv = c.noTemplate ? noTemplate : withTemplate;
      const raw = await postRaw(srv.url + c.path, JSON.stringify(c.review), { ca: srv.ca });
      const res = admissionResponseOf(raw, c.review.request.uid);
      assert.equal(res.allowed, c.allowed, raw.body);
      const tag = `[${c.rule}]`;
      if (c.says === 'warning') assert.ok(res.warnings?.some((w: string) => w.startsWith(tag)), `a warning naming ${tag}: ${raw.body}`);
      if (c.says === 'denial') {
        assert.equal(res.status?.code, 403);
        const message = res.status?.message ?? '';
        assert.ok(message.includes(tag), `denial names ${tag}: ${message}`);
        assert.equal(res.patch, undefined, 'a denial carries no patch');
      }
      if (c.says !== 'none') assert.ok(res.auditAnnotations?.[c.rule], `an audit annotation for ${c.rule}`);
      for (const w of res.warnings ?? []) assert.ok(w.length <= 256, `warning kept short: ${w}`);
      if (c.patched) {
        assert.equal(res.patchType, 'JSONPatch');
        const patch = JSON.parse(Buffer.from(res.patch ?? '', 'base64').toString('utf8'));
        const after = jsonPatch.applyPatch(structuredClone(c.review.request.object), patch, true, false).newDocument;
        c.patched(after);
        assert.equal(after.metadata.name, c.review.request.object.metadata.name, 'the patch keeps the object identity');
      } else {
        assert.equal(res.patch, undefined, 'no patch unless the case expects one');
      }
    });
  }
});
