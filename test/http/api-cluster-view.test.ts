// The API-backed ClusterView against a fake kube-apiserver over HTTPS: each question maps to the right API call,
// answers are cached for the TTL (and concurrent askers share one call), and every failure (an error status,
// a timeout, a missing CRD where that means "none") answers as the interface says.
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { defaultConfig } from '../../src/config/load.ts';
import { apiClusterView } from '../../src/kube/api-cluster-view.ts';
import type { ClusterView } from '../../src/policy/types.ts';
import { ensureDevCertificates } from '../../src/server/certs.ts';

/** Namespaces whose HA ConfigMaps exist by now (a test flips it, as Flink writing its state would). */
const haStateWritten: Record<string, boolean> = {};

type Route = (body: Record<string, unknown>) => { status: number; body?: unknown } | 'hang';

/** A Deployment (or Job) whose pod runs one container; `config` names a mounted Flink config ConfigMap. */
function deployment(name: string, labels: Record<string, string>, args: string[], config?: string, image = 'apache/flink:1.18.1-scala_2.12') {
  const volumes = config ? [{ name: 'conf', configMap: { name: config } }] : [];
  const mounts = config ? [{ name: 'conf', mountPath: '/opt/flink/conf' }] : [];
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, labels },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image, args, volumeMounts: mounts }], volumes } } },
  };
}

const list = (items: unknown[]) => ({ status: 200, body: { apiVersion: 'v1', kind: 'List', metadata: {}, items } });
const notFound = { status: 404, body: { apiVersion: 'v1', kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 } };

const ROUTES: Record<string, Route> = {
  'GET /api/v1/namespaces/flink-jobs': () => ({ status: 200, body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flink-jobs', labels: { 'flink-ha.io/mode': 'warn' }, annotations: { a: 'b' } } } }),
  'GET /api/v1/namespaces/broken': () => ({ status: 500, body: { kind: 'Status', code: 500 } }),
  'GET /api/v1/namespaces/slow': () => 'hang',
  'GET /api/v1/namespaces/flink-jobs/serviceaccounts/flink': () => ({ status: 200, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'flink' } } }),
  'GET /api/v1/namespaces/flink-jobs/serviceaccounts/missing': () => notFound,
  'GET /api/v1/namespaces/forbidden/serviceaccounts/flink': () => ({ status: 403, body: { kind: 'Status', code: 403 } }),
  'POST /apis/authorization.k8s.io/v1/subjectaccessreviews': (body) => {
    const spec = body.spec as { user: string; resourceAttributes: { verb: string } };
    const allowed = spec.user === 'system:serviceaccount:flink-jobs:flink' || (spec.user === 'system:serviceaccount:flink-jobs:weak' && spec.resourceAttributes.verb !== 'delete');
    return { status: 201, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec, status: { allowed } } };
  },
  'GET /apis/flink.apache.org/v1beta1/namespaces/flink-jobs/flinkdeployments': () => list([{ metadata: { name: 'orders' } }]),
  'GET /apis/flink.apache.org/v1beta1/namespaces/no-crd/flinkdeployments': () => notFound,
  'GET /apis/apps/v1/namespaces/flink-jobs/deployments': () => list([
    deployment('native-a', { app: 'native-a', type: 'flink-native-kubernetes', component: 'jobmanager' }, ['bash', '-c', 'kubernetes-jobmanager.sh kubernetes-application']),
    { ...deployment('orders', { app: 'orders', type: 'flink-native-kubernetes', component: 'jobmanager' }, []), metadata: { name: 'orders', labels: { app: 'orders', type: 'flink-native-kubernetes', component: 'jobmanager' }, ownerReferences: [{ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', name: 'orders', uid: 'u1' }] } },
    deployment('flink-jobmanager', { app: 'flink', component: 'jobmanager' }, ['jobmanager', '$(POD_IP)'], 'flink-config'),
    deployment('flink-taskmanager', { app: 'flink', component: 'taskmanager' }, ['taskmanager'], 'flink-config'),
    deployment('nginx', { app: 'web' }, [], undefined, 'nginx:1.27'),
    // The operator's type label on a JobManager no FlinkDeployment owns: a mark, not a proof; listed as a cluster.
    deployment('rogue', { app: 'rogue', component: 'jobmanager', type: 'flink-standalone-kubernetes' }, ['jobmanager', '-Dkubernetes.cluster-id=orders']),
  ]),
  'GET /apis/batch/v1/namespaces/flink-jobs/jobs': () => list([
    { ...deployment('wordcount-jobmanager', { app: 'wordcount', component: 'jobmanager' }, ['standalone-job', '--job-classname', 'WordCount']), kind: 'Job' },
  ]),
  'GET /apis/apps/v1/namespaces/no-crd/deployments': () => list([]),
  'GET /apis/batch/v1/namespaces/no-crd/jobs': () => list([]),
  // As Flink 2.x labels them (no configmap-type label), beside a native cluster's config ConfigMap.
  'GET /api/v1/namespaces/flink-jobs/configmaps': () =>
    list([
      { metadata: { name: 'flink-config-orders', labels: { app: 'orders', type: 'flink-native-kubernetes' } } },
      { metadata: { name: 'orders-cluster-config-map', labels: { app: 'orders', type: 'flink-native-kubernetes' } } },
    ]),
  'GET /api/v1/namespaces/empty/configmaps': () => list([]),
  'GET /api/v1/namespaces/broken-list/configmaps': () => ({ status: 500, body: { kind: 'Status', code: 500 } }),
  // Empty at first; Flink writes its HA state into it later in a test (haStateWritten).
  'GET /api/v1/namespaces/filling/configmaps': () => list(haStateWritten.filling ? [{ metadata: { name: 'orders-cluster-config-map', labels: { app: 'orders', type: 'flink-native-kubernetes' } } }] : []),
  'GET /api/v1/namespaces/native-config-only/configmaps': () =>
    list([{ metadata: { name: 'flink-config-orders', labels: { app: 'orders', type: 'flink-native-kubernetes' } } }]),
  'GET /api/v1/namespaces/flink-jobs/configmaps/flink-config': () => ({ status: 200, body: { metadata: { name: 'flink-config' }, data: { 'flink-conf.yaml': 'kubernetes.cluster-id: shared-session\n' } } }),
  'GET /api/v1/namespaces/flink-jobs/configmaps/absent': () => notFound,
};

describe('apiClusterView against a fake API server', () => {
  let server: https.Server;
  let dir: string;
  const calls: string[] = [];
  let view: ClusterView;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fhw-api-'));
    await ensureDevCertificates({ dir, certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' }, []);
    server = https.createServer({ cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) }, (req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => { text += c.toString(); });
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://x');
        const key = `${req.method} ${url.pathname}`;
        calls.push(`${key}${url.search}`);
        const answer = ROUTES[key]?.(text ? JSON.parse(text) : {}) ?? notFound;
        if (answer === 'hang') return;
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body ?? {}));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: `https://127.0.0.1:${(server.address() as { port: number }).port}`, caData: readFileSync(join(dir, 'ca.crt')).toString('base64') }],
      users: [{ name: 'webhook', token: 'token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'webhook' }],
      currentContext: 'fake',
    });
    // A generous call timeout: six SubjectAccessReviews over fresh TLS connections must fit on a loaded 2-core CI machine.
    view = apiClusterView(kc, { ttlMs: 60_000, errorTtlMs: 60_000, callTimeoutMs: 3000, imagePatterns: defaultConfig().imagePatterns });
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const CASES: Array<{ name: string; ask: () => Promise<unknown>; want: unknown }> = [
    { name: 'namespace labels and annotations', ask: () => view.namespaceMeta('flink-jobs'), want: { labels: { 'flink-ha.io/mode': 'warn' }, annotations: { a: 'b' } } },
    { name: 'a 500 is "could not check"', ask: () => view.namespaceMeta('broken'), want: undefined },
    { name: 'no answer within the call timeout is "could not check"', ask: () => view.namespaceMeta('slow'), want: undefined },
    { name: 'an existing ServiceAccount', ask: () => view.serviceAccountExists('flink-jobs', 'flink'), want: true },
    { name: 'a missing ServiceAccount is a definite no', ask: () => view.serviceAccountExists('flink-jobs', 'missing'), want: false },
    { name: 'a 403 is "could not check", not "missing"', ask: () => view.serviceAccountExists('forbidden', 'flink'), want: undefined },
    { name: 'a ServiceAccount allowed every ConfigMap verb', ask: () => view.serviceAccountCanManageConfigMaps('flink-jobs', 'flink'), want: true },
    { name: 'one verb missing (delete) is a no', ask: () => view.serviceAccountCanManageConfigMaps('flink-jobs', 'weak'), want: false },
    {
      name: 'cluster-ids: FlinkDeployments, native and standalone JobManagers (config file, app label), one with an unproven operator mark; operator-owned ones and TaskManagers not again',
      ask: () => view.flinkClusterIds('flink-jobs'),
      want: [
        { clusterId: 'orders', owner: 'FlinkDeployment/orders' },
        { clusterId: 'native-a', owner: 'Deployment/native-a' },
        { clusterId: 'shared-session', owner: 'Deployment/flink-jobmanager' },
        { clusterId: 'orders', owner: 'Deployment/rogue' },
        { clusterId: 'wordcount', owner: 'Job/wordcount-jobmanager' },
      ],
    },
    { name: 'no FlinkDeployment CRD means no FlinkDeployments', ask: () => view.flinkClusterIds('no-crd'), want: [] },
    { name: 'a namespace with HA ConfigMaps', ask: () => view.namespaceHoldsHaState('flink-jobs'), want: true },
    { name: 'a namespace without', ask: () => view.namespaceHoldsHaState('empty'), want: false },
    { name: "a native cluster's config ConfigMap is no HA state", ask: () => view.namespaceHoldsHaState('native-config-only'), want: false },
    {
      name: "a cluster's HA ConfigMaps, selected by its labels (not its native config ConfigMap)",
      ask: async () => (await view.haConfigMapsOf!('flink-jobs', 'orders'))?.map((cm) => cm.metadata?.name),
      want: ['orders-cluster-config-map'],
    },
    { name: 'a cluster with none: an empty list, not "could not check"', ask: () => view.haConfigMapsOf!('empty', 'orders'), want: [] },
    { name: 'a failed listing is "could not check"', ask: () => view.haConfigMapsOf!('broken-list', 'orders'), want: undefined },
    { name: 'a mounted config ConfigMap', ask: async () => ((await view.configMap!('flink-jobs', 'flink-config')) as { data?: unknown } | null | undefined)?.data, want: { 'flink-conf.yaml': 'kubernetes.cluster-id: shared-session\n' } },
    { name: 'an absent ConfigMap is null', ask: () => view.configMap!('flink-jobs', 'absent'), want: null },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      assert.deepEqual(await c.ask(), c.want);
    });
  }

  it('asks the API server the right questions', () => {
    assert.ok(calls.includes('GET /api/v1/namespaces/flink-jobs/configmaps?labelSelector=type%3Dflink-native-kubernetes'), calls.join('\n'));
    assert.ok(calls.includes('GET /apis/batch/v1/namespaces/flink-jobs/jobs'), calls.join('\n'));
    assert.equal(calls.filter((c) => c.startsWith('POST /apis/authorization.k8s.io/v1/subjectaccessreviews')).length, 12, 'six verbs for each of two ServiceAccounts');
  });

  it('never answers a cluster\'s HA ConfigMaps from a cache (a stale "none" would let a guarded delete through)', async () => {
    const asked = () => calls.filter((c) => c.startsWith('GET /api/v1/namespaces/empty/configmaps?labelSelector=type%3Dflink-native-kubernetes%2Capp%3Dorders')).length;
    const before = asked();
    await view.haConfigMapsOf!('empty', 'orders');
    await view.haConfigMapsOf!('empty', 'orders');
    assert.equal(asked(), before + 2, calls.join('\n'));
  });

  it('caches answers (and failures) for their TTL, and concurrent askers share one call', async () => {
    const before = calls.length;
    await Promise.all([view.namespaceMeta('flink-jobs'), view.namespaceMeta('flink-jobs'), view.namespaceMeta('broken'), view.serviceAccountCanManageConfigMaps('flink-jobs', 'flink')]);
    assert.equal(calls.length, before);
    const again = [view.namespaceHoldsHaState('empty2'), view.namespaceHoldsHaState('empty2')];
    await Promise.all(again);
    assert.equal(calls.filter((c) => c.startsWith('GET /api/v1/namespaces/empty2/configmaps')).length, 1);
  });

  it('never reuses "no HA state" (a dry-run delete must not prime the real one), but does reuse "holds HA state"', async () => {
    const asked = () => calls.filter((c) => c.startsWith('GET /api/v1/namespaces/filling/configmaps')).length;
    assert.equal(await view.namespaceHoldsHaState('filling'), false, 'the dry run: no HA state yet');
    haStateWritten.filling = true; // Flink writes its HA ConfigMaps
    assert.equal(await view.namespaceHoldsHaState('filling'), true, 'the real delete a moment later is asked afresh, within the 60 s TTL');
    assert.equal(asked(), 2, 'one listing each');
    assert.equal(await view.namespaceHoldsHaState('filling'), true);
    assert.equal(asked(), 2, 'a positive answer is reused for its TTL');
  });

  it('concurrent askers of a negative still share one listing in flight, and the next asker asks again', async () => {
    const asked = () => calls.filter((c) => c.startsWith('GET /api/v1/namespaces/empty/configmaps')).length;
    const before = asked();
    assert.deepEqual(await Promise.all([view.namespaceHoldsHaState('empty'), view.namespaceHoldsHaState('empty'), view.namespaceHoldsHaState('empty')]), [false, false, false]);
    assert.equal(asked(), before + 1, 'three askers, one call');
    assert.equal(await view.namespaceHoldsHaState('empty'), false);
    assert.equal(asked(), before + 2, 'the negative was not kept');
  });
});
