// The HA guards against an attacker with namespace rights, through the real API server: a ServiceAccount of its
// own allowed everything on ConfigMaps (`intruder`), and a namespace `edit` user (`mallory`, who may also
// impersonate ServiceAccounts and mint their tokens). Every route that could lose or corrupt the HA state Flink
// wrote is tried; after each, the stored HA ConfigMaps must be byte for byte what Flink wrote (same
// resourceVersion: nothing was written at all). Then the owners' own writes, renewals and cleanup still pass.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  createFlinkNamespace, mintedKubeconfig, operatorKubeconfig, podBoundKubeconfig, serviceAccount, startE2E, webhookCallCounts,
  type E2E, type KubectlResult,
} from './harness/index.ts';

const NS = 'guarded';
const HA_FIXTURE = join(import.meta.dirname, 'fixtures', 'ha-configmaps.yaml');
const CLUSTER_CM = 'demo-cluster-config-map';
const JOB_CM = 'demo-00000000000000000000000000000001-config-map';
const HA_CMS = [CLUSTER_CM, JOB_CM];
const GC = serviceAccount('kube-system', 'generic-garbage-collector');

type Who = 'intruder' | 'mallory';

describe('attacks on HA state by non-owners, through the real API server', () => {
  let e2e: E2E;
  const cfg: Record<string, string> = {};
  /** kubectl in the namespace as someone: a kubeconfig name from `cfg`, or the admin impersonating `as`. */
  const kubectl = (who: string, args: string[], extra: { as?: string; input?: string } = {}): Promise<KubectlResult> =>
    e2e.plane.kubectl(['-n', NS, ...args], { ...(cfg[who] ? { kubeconfig: cfg[who] } : {}), ...extra });
  let flinkWrote = '';

  /** What Flink wrote, as stored: every field a non-owner could touch, and the resourceVersions. */
  const stored = async (): Promise<string> => {
    const out = await e2e.plane.kubectlOk(['get', 'configmap', ...HA_CMS, '-n', NS, '-o', 'json']);
    const items = (JSON.parse(out) as { items: Array<Record<string, any>> }).items;
    return JSON.stringify(items.map((cm) => ({
      name: cm.metadata.name, resourceVersion: cm.metadata.resourceVersion, data: cm.data, binaryData: cm.binaryData,
      immutable: cm.immutable, labels: cm.metadata.labels, annotations: cm.metadata.annotations,
      ownerReferences: cm.metadata.ownerReferences, finalizers: cm.metadata.finalizers,
    })), null, 1);
  };
  const assertUntouched = async () => assert.equal(await stored(), flinkWrote, 'the HA ConfigMaps are exactly what Flink wrote');
  const assertDenied = (r: KubectlResult, rule: RegExp) => {
    assert.notEqual(r.code, 0, `the write went through: ${r.stdout}`);
    assert.match(r.stderr, rule, r.stderr);
  };

  before(async () => {
    e2e = await startE2E();
    const { plane } = e2e;
    await createFlinkNamespace(plane, NS);
    // intruder: a ServiceAccount of its own that may do everything with ConfigMaps here.
    await plane.kubectlOk(['create', 'serviceaccount', 'intruder', '-n', NS]);
    await plane.kubectlOk(['create', 'role', 'cm-all', '-n', NS, '--verb=get,list,watch,create,update,patch,delete,deletecollection', '--resource=configmaps']);
    await plane.kubectlOk(['create', 'rolebinding', 'intruder', '-n', NS, '--role=cm-all', `--serviceaccount=${NS}:intruder`]);
    cfg.intruder = await mintedKubeconfig(plane, NS, 'intruder');
    // mallory: the built-in `edit` role in the namespace (which includes impersonating ServiceAccounts and
    // minting their tokens); as a ServiceAccount so that she has credentials of her own.
    await plane.kubectlOk(['create', 'serviceaccount', 'mallory', '-n', NS]);
    // `edit` is an aggregated role: bind the roles it aggregates (the rules a real cluster's `edit` holds), which
    // do not depend on the aggregation controller having folded them into `edit` yet.
    await plane.kubectlOk(['create', 'rolebinding', 'mallory-edit', '-n', NS, '--clusterrole=system:aggregate-to-edit', `--serviceaccount=${NS}:mallory`]);
    await plane.kubectlOk(['create', 'rolebinding', 'mallory-view', '-n', NS, '--clusterrole=system:aggregate-to-view', `--serviceaccount=${NS}:mallory`]);
    // A user (not a ServiceAccount) whose name extends the Flink ServiceAccount's, with ConfigMap rights.
    await plane.kubectlOk(['create', 'rolebinding', 'lookalike-user', '-n', NS, '--role=cm-all', `--user=system:serviceaccount:${NS}:flink:x`]);
    cfg.mallory = await mintedKubeconfig(plane, NS, 'mallory');
    cfg.flink = await podBoundKubeconfig(plane, NS, 'flink', 'demo-jobmanager-0');
    cfg.operator = await operatorKubeconfig(plane);
    // Flink writes its HA state as it does in a pod: its own pod-bound token (the webhook never sees these writes).
    const seeded = await kubectl('flink', ['apply', '--server-side', '--field-manager=flink', '-f', HA_FIXTURE]);
    assert.equal(seeded.code, 0, seeded.stderr);
    flinkWrote = await stored();
  });
  after(async () => {
    await e2e?.stop();
  });

  const both: Who[] = ['intruder', 'mallory'];
  const attacks: Array<{ attack: string; rule: RegExp; run: (who: Who) => Promise<KubectlResult> }> = [
    { attack: 'kubectl delete configmap by name', rule: /\[protect-ha-configmap\]/, run: (w) => kubectl(w, ['delete', 'configmap', CLUSTER_CM, JOB_CM]) },
    { attack: 'kubectl delete configmap -l configmap-type=high-availability', rule: /\[protect-ha-configmap\]/, run: (w) => kubectl(w, ['delete', 'configmap', '-l', 'configmap-type=high-availability']) },
    { attack: 'kubectl delete configmap --all', rule: /\[protect-ha-configmap\]/, run: (w) => kubectl(w, ['delete', 'configmap', '--all']) },
    { attack: 'a collection DELETE of the API', rule: /protect-ha-configmap/, run: (w) => kubectl(w, ['delete', '--raw', `/api/v1/namespaces/${NS}/configmaps?labelSelector=app%3Ddemo`]) },
    { attack: 'kubectl delete --dry-run=server', rule: /\[protect-ha-configmap\]/, run: (w) => kubectl(w, ['delete', 'configmap', CLUSTER_CM, '--dry-run=server']) },
    { attack: 'kubectl replace with a stale copy', rule: /\[no-ha-data-strip\]/, run: (w) => kubectl(w, ['replace', '-f', '-'], { input: staleJobCm() }) },
    { attack: 'kubectl apply of a stale copy', rule: /\[no-ha-data-strip\]/, run: (w) => kubectl(w, ['apply', '-f', '-'], { input: staleJobCm() }) },
    { attack: 'kubectl apply --server-side --force-conflicts of a stale copy', rule: /\[no-ha-data-strip\]/, run: (w) => kubectl(w, ['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: staleJobCm() }) },
    { attack: 'moving a data key into binaryData', rule: /\[no-ha-data-strip\]/, run: (w) => jsonPatch(w, JOB_CM, [{ op: 'remove', path: '/data/counter' }, { op: 'add', path: '/binaryData', value: { counter: 'NDM=' } }]) },
    { attack: 'immutable: true', rule: /\[no-ha-data-strip\]/, run: (w) => mergePatch(w, JOB_CM, { immutable: true }) },
    { attack: 'a forged newer checkpointID key', rule: /\[no-ha-data-strip\]/, run: (w) => mergePatch(w, JOB_CM, { data: { 'checkpointID-0000000000000009999': 'forged' } }) },
    { attack: 'a bogus jobGraph key', rule: /\[no-ha-data-strip\]/, run: (w) => mergePatch(w, CLUSTER_CM, { data: { 'jobGraph-ffffffffffffffffffffffffffffffff': 'bogus' } }) },
    { attack: 'stripping the leader annotation', rule: /\[no-ha-data-strip\]/, run: (w) => jsonPatch(w, CLUSTER_CM, [{ op: 'remove', path: '/metadata/annotations/control-plane.alpha.kubernetes.io~1leader' }]) },
    { attack: 'taking over the leader annotation', rule: /\[no-ha-data-strip\]/, run: (w) => mergePatch(w, CLUSTER_CM, { metadata: { annotations: { 'control-plane.alpha.kubernetes.io/leader': '{"holderIdentity":"attacker","leaseDuration":15.0}' } } }) },
    { attack: 'stripping the HA labels', rule: /\[no-ha-data-strip\]/, run: (w) => mergePatch(w, JOB_CM, { metadata: { labels: { type: null, 'configmap-type': null } } }) },
    { attack: 'adding an ownerReference', rule: /\[no-owner-reference\]/, run: (w) => mergePatch(w, CLUSTER_CM, { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: '6f1c2d8e-0000-4000-8000-000000000009' }] } }) },
    { attack: 'adding a finalizer', rule: /\[no-ha-data-strip\]/, run: (w) => mergePatch(w, JOB_CM, { metadata: { finalizers: ['example.com/hold'] } }) },
    { attack: 'setting the release annotation (to delete next)', rule: /\[protect-ha-configmap\]/, run: (w) => mergePatch(w, CLUSTER_CM, { metadata: { annotations: { 'flink-ha.io/release': 'mine now' } } }) },
    { attack: 'setting the exempt label', rule: /\[protect-ha-configmap\]/, run: (w) => mergePatch(w, CLUSTER_CM, { metadata: { labels: { 'flink-ha.io/exempt': 'true' } } }) },
  ];
  for (const { attack, rule, run } of attacks) {
    for (const who of both) {
      it(`${attack}, as ${who}: denied, HA state byte for byte as Flink wrote it`, async () => {
        assertDenied(await run(who), rule);
        await assertUntouched();
      });
    }
  }

  it('planting HA state Flink would adopt: an HA-labelled ConfigMap carrying a release mark, and an unlabelled job ConfigMap with a forged pointer', async () => {
    const future = 'demo-00000000000000000000000000000002-config-map';
    const labelled = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: future, labels: { app: 'demo', type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' }, annotations: { 'flink-ha.io/release': 'planted' } } };
    assertDenied(await kubectl('intruder', ['create', '-f', '-'], { input: JSON.stringify(labelled) }), /\[protect-ha-configmap\]/);
    const unlabelled = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: future }, data: { counter: '99', 'checkpointID-0000000000000000098': 'forged' } };
    assertDenied(await kubectl('mallory', ['create', '-f', '-'], { input: JSON.stringify(unlabelled) }), /\[no-ha-data-strip\]/);
    assert.notEqual((await kubectl('flink', ['get', 'configmap', future])).code, 0, 'nothing was planted');
    // An ordinary ConfigMap is no business of the guards.
    assert.equal((await kubectl('intruder', ['create', 'configmap', 'app-config-map', '--from-literal=address=db:5432'])).code, 0);
    await assertUntouched();
  });

  it('impersonating the Flink ServiceAccount (kubectl --as, allowed by edit): denied', async () => {
    const as = serviceAccount(NS, 'flink');
    assertDenied(await kubectl('mallory', ['delete', 'configmap', JOB_CM], { as }), /without a pod-bound token/);
    assertDenied(await kubectl('mallory', ['apply', '--server-side', '--force-conflicts', '-f', '-'], { as, input: staleJobCm() }), /\[no-ha-data-strip\]/);
    await assertUntouched();
  });

  it('a token minted for the Flink ServiceAccount (kubectl create token flink, allowed by edit): denied', async () => {
    const token = (await kubectl('mallory', ['create', 'token', 'flink'])).stdout.trim();
    assert.ok(token.length > 20, 'edit may mint tokens for ServiceAccounts of its namespace');
    const { tokenKubeconfig } = await import('./harness/index.ts');
    cfg.stolen = tokenKubeconfig(e2e.plane, 'stolen', token);
    assertDenied(await kubectl('stolen', ['delete', 'configmap', CLUSTER_CM]), /without a pod-bound token/);
    await assertUntouched();
  });

  it('a user whose name extends the ServiceAccount\'s (system:serviceaccount:ns:flink:x), and the garbage collector: denied', async () => {
    assertDenied(await e2e.plane.kubectl(['-n', NS, 'delete', 'configmap', JOB_CM], { as: `system:serviceaccount:${NS}:flink:x` }), /\[protect-ha-configmap\]/);
    assertDenied(await e2e.plane.kubectl(['-n', NS, 'delete', 'configmap', JOB_CM], { as: GC }), /garbage collector/);
    await assertUntouched();
  });

  it('labelling the namespace flink-ha.io/mode=audit and flink-ha.io/exempt=true does not switch the guards off', async () => {
    await e2e.plane.kubectlOk(['label', 'namespace', NS, 'flink-ha.io/mode=audit', 'flink-ha.io/exempt=true']);
    try {
      assertDenied(await kubectl('intruder', ['delete', 'configmap', CLUSTER_CM]), /\[protect-ha-configmap\]/);
      assertDenied(await kubectl('intruder', ['replace', '-f', '-'], { input: staleJobCm() }), /\[no-ha-data-strip\]/);
    } finally {
      await e2e.plane.kubectlOk(['label', 'namespace', NS, 'flink-ha.io/mode-', 'flink-ha.io/exempt-']);
    }
    await assertUntouched();
  });

  it('deleting the namespace: denied, still Active', async () => {
    assertDenied(await e2e.plane.kubectl(['delete', 'namespace', NS]), /\[protect-namespace\]/);
    assert.match(await e2e.plane.kubectlOk(['get', 'namespace', NS, '-o', 'jsonpath={.status.phase}']), /Active/);
    await assertUntouched();
  });

  // Since nonOwnerMetadata (issue 19) a label or annotation of one's own is no longer free: only the allow-listed
  // keys are (default: the annotation kubernetes.io/description).
  it('a non-owner may add only the allow-listed annotation (the allow-list\'s free part), not a label or annotation of its own', async () => {
    assertDenied(await mergePatch('intruder', JOB_CM, { metadata: { labels: { team: 'payments' }, annotations: { 'example.com/ticket': 'OPS-1' } } }), /\[no-ha-data-strip\]/);
    await assertUntouched();
    const r = await mergePatch('intruder', JOB_CM, { metadata: { annotations: { 'kubernetes.io/description': 'OPS-1' } } });
    assert.equal(r.code, 0, r.stderr);
    await mergePatch('flink', JOB_CM, { metadata: { annotations: { 'kubernetes.io/description': null } } });
    flinkWrote = await stored(); // the resourceVersion moved; the HA fields did not
  });

  // The owners, with their pods' tokens: renewals and checkpoint writes skip the webhook; cleanup is allowed.
  it('Flink renews leadership and writes checkpoint pointers without the webhook being called', async () => {
    const before = await webhookCallCounts(e2e.plane, 'any');
    for (let n = 0; n < 3; n++) {
      const renew = { metadata: { annotations: { 'control-plane.alpha.kubernetes.io/leader': `{"holderIdentity":"6f1c2d8e-0000-4000-8000-000000000001","leaseDuration":15.0,"renewTime":"2026-01-01T00:00:1${n}.000000Z","leaderTransitions":0}` } } };
      assert.equal((await mergePatch('flink', CLUSTER_CM, renew)).code, 0);
      assert.equal((await mergePatch('flink', JOB_CM, { data: { counter: String(44 + n), [`checkpointID-000000000000000004${3 + n}`]: 'new' } })).code, 0);
    }
    assert.deepEqual((await webhookCallCounts(e2e.plane, 'any')).get('ha-configmaps.flink-ha.io'), before.get('ha-configmaps.flink-ha.io'));
  });

  it('even the owner may not add an ownerReference', async () => {
    assertDenied(await mergePatch('flink', CLUSTER_CM, { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'demo-jobmanager-0', uid: '6f1c2d8e-0000-4000-8000-00000000000a' }] } }), /\[no-owner-reference\]/);
  });

  it('Flink cleans up a finished job\'s ConfigMap, and the operator deletes the cluster\'s by labels', async () => {
    const cleanup = await kubectl('flink', ['delete', 'configmap', JOB_CM]);
    assert.equal(cleanup.code, 0, cleanup.stderr);
    const operator = await kubectl('operator', ['delete', 'configmap', '-l', 'type=flink-native-kubernetes,app=demo']);
    assert.equal(operator.code, 0, operator.stderr);
    assert.equal((await e2e.plane.kubectl(['get', 'configmap', CLUSTER_CM, '-n', NS])).code, 1);
  });

  function staleJobCm(): string {
    return JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: JOB_CM, namespace: NS, labels: { app: 'demo', type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } },
      data: { counter: '1', 'checkpointID-0000000000000000001': 'stale' },
    });
  }
  function mergePatch(who: string, name: string, patch: unknown): Promise<KubectlResult> {
    return kubectl(who, ['patch', 'configmap', name, '--type=merge', '-p', JSON.stringify(patch)]);
  }
  function jsonPatch(who: string, name: string, ops: unknown[]): Promise<KubectlResult> {
    return kubectl(who, ['patch', 'configmap', name, '--type=json', '-p', JSON.stringify(ops)]);
  }
});
