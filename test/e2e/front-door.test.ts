// The front door (issue 19), through the real API server: deleting a FlinkDeployment or FlinkSessionJob makes the
// operator delete its HA state, as an owner no ConfigMap guard can stop. No operator runs here: the test acts as
// the operator (its ServiceAccount's pod-bound token) and as Flink (the HA ServiceAccount's), as they would act.
// After every refused attempt the FlinkDeployment and the HA ConfigMaps are byte for byte as they were (same
// resourceVersions): nothing was written at all.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  createFlinkNamespace, mintedKubeconfig, operatorKubeconfig, podBoundKubeconfig, serviceAccount, startE2E, webhookCallCounts,
  type E2E, type KubectlResult,
} from './harness/index.ts';

const NS = 'front-door';
const JOB = '00000000000000000000000000000001';
const SESSION_JOB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const FINALIZER = 'flinkdeployments.flink.apache.org/finalizer';
const RELEASE = 'flink-ha.io/release';
const CONFIG = join(import.meta.dirname, 'fixtures', 'front-door-config.yaml');

type Json = any;

function flinkDeployment(name: string, job: Record<string, unknown> | null): Json {
  return {
    apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name, namespace: NS },
    spec: {
      image: 'flink:2.2', flinkVersion: 'v2_2', serviceAccount: 'flink',
      flinkConfiguration: { 'taskmanager.numberOfTaskSlots': '2' },
      jobManager: { resource: { memory: '2048m', cpu: 1 } }, taskManager: { resource: { memory: '2048m', cpu: 1 } },
      ...(job ? { job: { jarURI: 'local:///opt/flink/examples/streaming/StateMachineExample.jar', parallelism: 2, ...job } } : {}),
    },
  };
}

/** The HA ConfigMaps a Flink 2.x cluster writes: labels, leader annotation, job graph, checkpoint pointers. */
function haConfigMaps(clusterId: string, jobId: string): Json[] {
  const labels = { app: clusterId, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' };
  return [
    {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${clusterId}-cluster-config-map`, namespace: NS, labels, annotations: { 'control-plane.alpha.kubernetes.io/leader': '{"holderIdentity":"6f1c2d8e-0000-4000-8000-000000000001","leaseDuration":15.0}' } },
      data: { 'org.apache.flink.k8s.leader.dispatcher': 'pekko.tcp://flink@10.0.0.5:6123/user/rpc/dispatcher_1', [`executionPlan-${jobId}`]: 'rO0ABXNyADtvcmcu' },
    },
    {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${clusterId}-${jobId}-config-map`, namespace: NS, labels },
      data: { counter: '43', 'checkpointID-0000000000000000042': 'rO0ABXNyADtvcmcu' },
    },
  ];
}

describe('the front door: FlinkDeployment and FlinkSessionJob deletes, through the real API server', () => {
  let e2e: E2E;
  const cfg: Record<string, string> = {};
  const kubectl = (who: string, args: string[], extra: { input?: string } = {}): Promise<KubectlResult> =>
    e2e.plane.kubectl(['-n', NS, ...args], { ...(who === 'admin' ? {} : { kubeconfig: cfg[who] }), ...extra });
  const get = async (resource: string): Promise<Json> => JSON.parse(await e2e.plane.kubectlOk(['get', resource, '-n', NS, '-o', 'json']));

  /** The stored objects as they are: the whole of each (metadata with its resourceVersion, spec, data). */
  const stored = async (resources: string[]): Promise<string> => {
    const out = await e2e.plane.kubectlOk(['get', ...resources, '-n', NS, '-o', 'json']);
    const items = (JSON.parse(out) as { items: Json[] }).items;
    return JSON.stringify(items.map((o) => ({ kind: o.kind, metadata: o.metadata, spec: o.spec, data: o.data })), null, 1);
  };
  const assertDenied = (r: KubectlResult, rule: RegExp) => {
    assert.notEqual(r.code, 0, `the write went through: ${r.stdout}`);
    assert.match(r.stderr, rule, r.stderr);
  };
  const seedHa = async (clusterId: string, jobId: string) => {
    const r = await kubectl('flink', ['apply', '--server-side', '--field-manager=flink', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: haConfigMaps(clusterId, jobId) }) });
    assert.equal(r.code, 0, `Flink writes its HA ConfigMaps: ${r.stderr}`);
  };
  const create = (who: string, obj: Json) => kubectl(who, ['create', '-f', '-'], { input: JSON.stringify(obj) });
  const ORDERS = ['flinkdeployment/orders', 'configmap/orders-cluster-config-map', `configmap/orders-${JOB}-config-map`];
  let ordersBefore = '';

  before(async () => {
    e2e = await startE2E({ webhook: { configFile: CONFIG } });
    const { plane } = e2e;
    await createFlinkNamespace(plane, NS);
    // Who may write Flink's CRs here: a person with namespace `edit` (and, since `edit` does not aggregate the
    // operator's CRDs, a Role for them), a CD tool with broad rights everywhere (not system:masters), and `eve`, who
    // may only create and delete FlinkDeployments (no ConfigMap rights at all).
    await plane.kubectlOk(['create', 'role', 'flink-crs', '-n', NS, '--verb=get,list,watch,create,update,patch,delete', '--resource=flinkdeployments.flink.apache.org,flinksessionjobs.flink.apache.org']);
    for (const sa of ['mallory', 'eve']) await plane.kubectlOk(['create', 'serviceaccount', sa, '-n', NS]);
    await plane.kubectlOk(['create', 'rolebinding', 'mallory-edit', '-n', NS, '--clusterrole=system:aggregate-to-edit', `--serviceaccount=${NS}:mallory`]);
    await plane.kubectlOk(['create', 'rolebinding', 'mallory-view', '-n', NS, '--clusterrole=system:aggregate-to-view', `--serviceaccount=${NS}:mallory`]);
    await plane.kubectlOk(['create', 'rolebinding', 'mallory-flink', '-n', NS, '--role=flink-crs', `--serviceaccount=${NS}:mallory`]);
    await plane.kubectlOk(['create', 'role', 'fd-only', '-n', NS, '--verb=get,create,delete', '--resource=flinkdeployments.flink.apache.org']);
    await plane.kubectlOk(['create', 'rolebinding', 'eve', '-n', NS, '--role=fd-only', `--serviceaccount=${NS}:eve`]);
    await plane.kubectlOk(['create', 'namespace', 'argocd']);
    await plane.kubectlOk(['create', 'serviceaccount', 'argocd-application-controller', '-n', 'argocd']);
    await plane.kubectlOk(['create', 'clusterrole', 'cd-everything', '--verb=*', '--resource=*.*']);
    await plane.kubectlOk(['create', 'clusterrolebinding', 'cd-everything', '--clusterrole=cd-everything', '--serviceaccount=argocd:argocd-application-controller']);
    // The operator: what its chart grants on its CRs (finalizers, status) on top of the HA ConfigMap Role.
    await plane.kubectlOk(['create', 'clusterrole', 'flink-operator-crs', '--verb=get,list,watch,update,patch', '--resource=flinkdeployments.flink.apache.org,flinksessionjobs.flink.apache.org,flinkdeployments.flink.apache.org/status,flinksessionjobs.flink.apache.org/status,flinkdeployments.flink.apache.org/finalizers']);
    await plane.kubectlOk(['create', 'clusterrolebinding', 'flink-operator-crs', '--clusterrole=flink-operator-crs', '--serviceaccount=flink-operator-system:flink-operator']);
    cfg.mallory = await mintedKubeconfig(plane, NS, 'mallory');
    cfg.eve = await mintedKubeconfig(plane, NS, 'eve');
    cfg.cd = await mintedKubeconfig(plane, 'argocd', 'argocd-application-controller');
    cfg.flink = await podBoundKubeconfig(plane, NS, 'flink', 'orders-jobmanager-0');
    cfg.operator = await operatorKubeconfig(plane);

    // A person applies a last-state FlinkDeployment with no HA; the webhook adds what HA and the operator need.
    const created = await create('mallory', flinkDeployment('orders', { upgradeMode: 'last-state' }));
    assert.equal(created.code, 0, created.stderr);
    // The operator adds its finalizer, as it does on its first reconcile; Flink then writes its HA state.
    const fin = await kubectl('operator', ['patch', 'flinkdeployment', 'orders', '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: [FINALIZER] } })]);
    assert.equal(fin.code, 0, fin.stderr);
    await seedHa('orders', JOB);
    ordersBefore = await stored(ORDERS);
  });
  after(async () => {
    await e2e?.stop();
  });

  it('a last-state FlinkDeployment is stored with HA and the checkpoint dir the operator requires', async () => {
    const conf = (await get('flinkdeployment/orders')).spec.flinkConfiguration as Record<string, unknown>;
    assert.equal(conf['high-availability.type'], 'kubernetes', 'HA on');
    assert.equal(conf['high-availability.storageDir'], `s3://flink-ha/${NS}/orders`, 'HA storage dir');
    assert.equal(conf['execution.checkpointing.dir'], `s3://flink-checkpoints/${NS}/orders`, 'checkpoint dir (Flink 2.x key)');
  });

  it('a savepoint FlinkDeployment with no savepoint dir and no template: denied with the fix, nothing stored', async () => {
    const r = await create('mallory', flinkDeployment('reports', { upgradeMode: 'savepoint' }));
    assertDenied(r, /\[checkpoint-dir\] upgradeMode: savepoint needs execution\.checkpointing\.savepoint-dir.*Fix: set execution\.checkpointing\.savepoint-dir .*savepointDirTemplate/);
    assert.notEqual((await kubectl('admin', ['get', 'flinkdeployment', 'reports'])).code, 0, 'not stored');
  });

  const refusals: Array<{ name: string; who: string; args: string[]; rule: RegExp }> = [
    { name: 'a person (namespace edit) runs kubectl delete flinkdeployment', who: 'mallory', args: ['delete', 'flinkdeployment', 'orders'], rule: /\[protect-flink-deployment\] .*may not delete FlinkDeployment front-door\/orders: cluster-id orders holds 2 HA ConfigMap.*Fix: .*flink-ha\.io\/release=<reason>/ },
    { name: 'the same with --dry-run=server', who: 'mallory', args: ['delete', 'flinkdeployment', 'orders', '--dry-run=server'], rule: /\[protect-flink-deployment\]/ },
    { name: 'kubectl delete flinkdeployments --all', who: 'mallory', args: ['delete', 'flinkdeployments', '--all'], rule: /\[protect-flink-deployment\]/ },
    { name: 'a CD tool\'s ServiceAccount with every RBAC right (an Argo CD prune)', who: 'cd', args: ['delete', 'flinkdeployment', 'orders'], rule: /\[protect-flink-deployment\]/ },
    { name: 'the person sets the release annotation', who: 'mallory', args: ['annotate', 'flinkdeployment', 'orders', `${RELEASE}=mine now`], rule: /\[protect-flink-deployment\] .*may not set, change or remove flink-ha\.io\/release/ },
    { name: 'the CD tool sets the release annotation', who: 'cd', args: ['annotate', 'flinkdeployment', 'orders', `${RELEASE}=sync`], rule: /\[protect-flink-deployment\]/ },
    { name: 'the person switches the running last-state job to stateless', who: 'mallory', args: ['patch', 'flinkdeployment', 'orders', '--type=merge', '-p', '{"spec":{"job":{"upgradeMode":"stateless"}}}'], rule: /\[protect-flink-deployment\] .*switches the running job from upgradeMode: last-state to stateless/ },
    { name: 'the person suspends it statelessly', who: 'mallory', args: ['patch', 'flinkdeployment', 'orders', '--type=merge', '-p', '{"spec":{"job":{"upgradeMode":"stateless","state":"suspended"}}}'], rule: /\[protect-flink-deployment\] .*suspends the running job with upgradeMode: stateless/ },
  ];
  for (const { name, who, args, rule } of refusals) {
    it(`${name}: denied, the FlinkDeployment and its HA ConfigMaps byte for byte as they were`, async () => {
      assertDenied(await kubectl(who, args), rule);
      assert.equal(await stored(ORDERS), ordersBefore, 'nothing was written');
    });
  }

  it('the person labels it an operator canary (a label anyone who edits it can add), then deletes it: denied, its HA ConfigMaps untouched', async () => {
    const ha = ORDERS.slice(1);
    const before = await stored(ha);
    assert.equal((await kubectl('mallory', ['label', 'flinkdeployment', 'orders', 'flink.apache.org/canary=true'])).code, 0, 'a label is the person\'s to set');
    try {
      assertDenied(await kubectl('mallory', ['delete', 'flinkdeployment', 'orders']), /\[protect-flink-deployment\]/);
      assert.equal(await stored(ha), before, 'nothing was written');
    } finally {
      await kubectl('mallory', ['label', 'flinkdeployment', 'orders', 'flink.apache.org/canary-']);
    }
    ordersBefore = await stored(ORDERS); // the labels moved the FlinkDeployment's resourceVersion, nothing else
  });

  it('the confused deputy: eve (FlinkDeployments only, no ConfigMap rights) names one after the cluster-id of another cluster; its delete is refused', async () => {
    await seedHa('victim', JOB);
    const victim = ['configmap/victim-cluster-config-map', `configmap/victim-${JOB}-config-map`];
    const before = await stored(victim);
    const created = await create('eve', flinkDeployment('victim', null));
    // Admitted today unless the cluster-id rule refuses a cluster-id with leftover HA state at CREATE (its own
    // guard): either way, the delete that would make the operator wipe the other cluster's state is refused.
    if (created.code === 0) assertDenied(await kubectl('eve', ['delete', 'flinkdeployment', 'victim']), /\[protect-flink-deployment\] .*cluster-id victim holds 2 HA ConfigMap/);
    assert.equal(await stored(victim), before, 'the other cluster\'s HA ConfigMaps are untouched');
  });

  it('the operator\'s own writes (finalizer, status) never reach the webhook', async () => {
    const before = await webhookCallCounts(e2e.plane, 'any');
    const status = await kubectl('operator', ['patch', 'flinkdeployment', 'orders', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { lifecycleState: 'STABLE', jobStatus: { jobId: JOB, state: 'RUNNING' } } })]);
    assert.equal(status.code, 0, status.stderr);
    const annotate = await kubectl('operator', ['annotate', 'flinkdeployment', 'orders', 'flink.apache.org/last-reconciled=1']);
    assert.equal(annotate.code, 0, annotate.stderr);
    const after = await webhookCallCounts(e2e.plane, 'any');
    assert.deepEqual(Object.fromEntries(after), Object.fromEntries(before), 'no webhook was called');
    ordersBefore = await stored(ORDERS);
  });

  it('an admin releases it; the delete completes; the operator\'s cleanup by labels passes the webhook (its Pod checked), its finalizer removal never reaches it', async () => {
    const released = await kubectl('admin', ['annotate', 'flinkdeployment', 'orders', `${RELEASE}=decommissioned, OPS-19`]);
    assert.equal(released.code, 0, released.stderr);
    const del = await kubectl('mallory', ['delete', 'flinkdeployment', 'orders', '--wait=false']);
    assert.equal(del.code, 0, del.stderr);
    assert.ok((await get('flinkdeployment/orders')).metadata.deletionTimestamp, 'held by the operator\'s finalizer');
    const before = await webhookCallCounts(e2e.plane, 'any');
    // The operator's cleanup (FlinkUtils.deleteKubernetesHAMetadata: by the app/type labels), then its finalizer.
    // Owners' DELETEs reach the webhook, which proves the token's Pod (requester.ts): one allowed call per ConfigMap.
    const haCms = (await kubectl('admin', ['get', 'configmap', '-l', 'app=orders,type=flink-native-kubernetes', '-o', 'name'])).stdout.trim().split('\n').filter(Boolean);
    assert.ok(haCms.length > 0, 'the operator has HA state to clean up');
    const cleanup = await kubectl('operator', ['delete', 'configmap', '-l', 'app=orders,type=flink-native-kubernetes']);
    assert.equal(cleanup.code, 0, cleanup.stderr);
    const afterCleanup = Object.fromEntries(await webhookCallCounts(e2e.plane, 'any'));
    const expected = Object.fromEntries(before);
    expected['ha-configmaps.flink-ha.io'] = (expected['ha-configmaps.flink-ha.io'] ?? 0) + haCms.length;
    assert.deepEqual(afterCleanup, expected, `one allowed call per HA ConfigMap (${haCms.join(', ')}) and no other webhook`);
    const fin = await kubectl('operator', ['patch', 'flinkdeployment', 'orders', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    assert.equal(fin.code, 0, fin.stderr);
    assert.deepEqual(Object.fromEntries(await webhookCallCounts(e2e.plane, 'any')), afterCleanup, 'the operator\'s finalizer removal called no webhook');
    assert.notEqual((await kubectl('admin', ['get', 'flinkdeployment', 'orders'])).code, 0, 'the FlinkDeployment is gone');
    assert.equal((await kubectl('admin', ['get', 'configmap', '-l', 'app=orders', '-o', 'name'])).stdout.trim(), '', 'and its HA state, deliberately');
  });

  it('a FlinkSessionJob whose job holds its HA ConfigMap: the person\'s delete is refused; released by an admin, it passes, and Flink drops the job\'s ConfigMap', async () => {
    const session = flinkDeployment('session', null);
    session.metadata.annotations = { [RELEASE]: 'test session cluster' };
    assert.equal((await create('admin', session)).code, 0, 'session cluster');
    const job = { apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkSessionJob', metadata: { name: 'etl', namespace: NS }, spec: { deploymentName: 'session', job: { jarURI: 'https://repo.example.com/etl.jar', parallelism: 1, upgradeMode: 'stateless' } } };
    const created = await create('mallory', job);
    assert.equal(created.code, 0, created.stderr);
    // The operator submits the job and records its id (status subresource); the JobManager writes its HA state.
    const st = await kubectl('operator', ['patch', 'flinksessionjob', 'etl', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { jobStatus: { jobId: SESSION_JOB, state: 'RUNNING' } } })]);
    assert.equal(st.code, 0, st.stderr);
    await seedHa('session', SESSION_JOB);
    const objects = ['flinksessionjob/etl', `configmap/session-${SESSION_JOB}-config-map`];
    const before = await stored(objects);
    assertDenied(await kubectl('mallory', ['delete', 'flinksessionjob', 'etl']), new RegExp(`\\[protect-flink-deployment\\] .*FlinkSessionJob front-door/etl: job ${SESSION_JOB} holds HA ConfigMap session-${SESSION_JOB}-config-map`));
    assertDenied(await kubectl('mallory', ['annotate', 'flinksessionjob', 'etl', `${RELEASE}=mine`]), /\[protect-flink-deployment\]/);
    assert.equal(await stored(objects), before, 'nothing was written');
    assert.equal((await kubectl('admin', ['annotate', 'flinksessionjob', 'etl', `${RELEASE}=retired`])).code, 0, 'admin releases');
    const del = await kubectl('mallory', ['delete', 'flinksessionjob', 'etl']);
    assert.equal(del.code, 0, del.stderr);
    // The JobManager (Flink's pod-bound token) drops the cancelled job's HA ConfigMap.
    const drop = await kubectl('flink', ['delete', 'configmap', `session-${SESSION_JOB}-config-map`]);
    assert.equal(drop.code, 0, drop.stderr);
    // The session cluster itself was released at creation by an admin: its delete passes.
    assert.equal((await kubectl('mallory', ['delete', 'flinkdeployment', 'session'])).code, 0, 'released session cluster deleted');
  });

  it('a namespace released by an admin: the namespace controller deletes its FlinkDeployments and HA state', async () => {
    const ns2 = 'front-door-released';
    await createFlinkNamespace(e2e.plane, ns2);
    const fd = flinkDeployment('old', { upgradeMode: 'last-state' });
    fd.metadata.namespace = ns2;
    assert.equal((await e2e.plane.kubectl(['create', '-f', '-'], { input: JSON.stringify(fd) })).code, 0, 'FlinkDeployment created');
    const flink2 = await podBoundKubeconfig(e2e.plane, ns2, 'flink', 'old-jobmanager-0');
    const cms = haConfigMaps('old', JOB).map((cm: Json) => ({ ...cm, metadata: { ...cm.metadata, namespace: ns2 } }));
    assert.equal((await e2e.plane.kubectl(['apply', '--server-side', '--field-manager=flink', '-f', '-'], { kubeconfig: flink2, input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: cms }) })).code, 0, 'HA state');
    await e2e.plane.kubectlOk(['annotate', 'namespace', ns2, `${RELEASE}=team offboarded`]);
    const before = await webhookCallCounts(e2e.plane, 'any');
    const ok = await webhookCallCounts(e2e.plane, 'ok');
    await e2e.plane.kubectlOk(['delete', 'namespace', ns2, '--timeout=90s']);
    assert.notEqual((await e2e.plane.kubectl(['get', 'namespace', ns2])).code, 0, 'the namespace is gone, FlinkDeployment and HA state with it');
    const failed = (m: Map<string, number>, o: Map<string, number>) => (m.get('flink-resources.flink-ha.io') ?? 0) - (o.get('flink-resources.flink-ha.io') ?? 0);
    assert.equal(failed(await webhookCallCounts(e2e.plane, 'any'), await webhookCallCounts(e2e.plane, 'ok')), failed(before, ok), 'no failed webhook call');
  });

  it('a namespace not released: the namespace controller may not delete a FlinkDeployment holding HA state (decided by the policy it calls)', async () => {
    // protect-namespace refuses such a namespace's deletion first; the front door holds on its own as well.
    const r = await e2e.plane.kubectl(['-n', NS, 'delete', 'flinkdeployment', 'victim', '--ignore-not-found'], { as: serviceAccount('kube-system', 'namespace-controller') });
    if ((await kubectl('admin', ['get', 'flinkdeployment', 'victim'])).code === 0) assertDenied(r, /\[protect-flink-deployment\]/);
  });
});
