import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, ADMIN, ARGOCD, ask, fakeCluster, FLINK_SA, FLINK_SA_IMPERSONATED, fixture, GC, OPERATOR_SA, PERSON, POD_UID, podBound, TEMPLATE_CONFIG, withField } from '../../support/policy.ts';
import type { Requester } from '../../../src/policy/types.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

const leader = () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-cluster-config-map');
const checkpoints = () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-00000000000000000000000000000000-config-map');
const legacy = () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'legacy-app-dispatcher-leader');
const OTHER_NS_FLINK: Requester = { username: 'system:serviceaccount:other:flink' };
const BREAK_GLASS: Requester = { username: 'bob', groups: ['flink-admins'] };

describe('protect-ha-configmap: a pod-bound token counts only for a real Pod of that ServiceAccount', () => {
  // What `Impersonate-Extra-authentication.kubernetes.io%2fpod-name: made-up` sends, and what a real token carries.
  const flinkWith = (extra: Record<string, string[]>): Requester => ({ ...FLINK_SA_IMPERSONATED, extra });
  const OTHER_UID = '0c7c2b36-2222-4a4a-9c9c-000000000002';
  const pods = () => new Map([
    ['default/orders-etl-jobmanager-0', { uid: POD_UID, serviceAccountName: 'flink' }],
    ['default/web-frontend-0', { uid: POD_UID, serviceAccountName: 'default' }],
    ['flink-operator/flink-kubernetes-operator-5d8f', { uid: POD_UID, serviceAccountName: 'flink-operator' }],
  ]);
  const rows: Array<{ who: string; requester: Requester; pods?: Map<string, { uid: string; serviceAccountName: string } | null | undefined>; allowed: boolean; why?: RegExp }> = [
    { who: 'Flink\'s token bound to its real JobManager Pod (owner)', requester: FLINK_SA, allowed: true },
    { who: 'the operator\'s token bound to its real Pod (owner)', requester: OPERATOR_SA, allowed: true },
    { who: 'impersonated extras naming a made-up pod', requester: flinkWith(podBound('made-up-pod')), allowed: false, why: /made-up-pod, which does not exist/ },
    { who: 'impersonated extras naming a pod that is known not to exist', requester: flinkWith(podBound('gone-0')), pods: new Map([...pods(), ['default/gone-0', null]]), allowed: false, why: /does not exist/ },
    { who: 'impersonated extras naming a real pod of another ServiceAccount', requester: flinkWith(podBound('web-frontend-0')), allowed: false, why: /runs as ServiceAccount default, not flink/ },
    { who: 'impersonated extras naming Flink\'s real pod with another uid', requester: flinkWith(podBound('orders-etl-jobmanager-0', OTHER_UID)), allowed: false, why: /but that pod's uid is/ },
    { who: 'impersonated extras naming Flink\'s real pod without a pod uid', requester: flinkWith({ 'authentication.kubernetes.io/pod-name': ['orders-etl-jobmanager-0'] }), allowed: false, why: /no pod uid/ },
    { who: 'the operator\'s name with a made-up pod', requester: { ...OPERATOR_SA, extra: podBound('made-up-operator') }, allowed: false, why: /made-up-operator, which does not exist/ },
    { who: 'Flink\'s real token when the Pod cannot be looked up (could not check: not an owner)', requester: FLINK_SA, pods: new Map([['default/orders-etl-jobmanager-0', undefined]]), allowed: false, why: /could not be looked up/ },
  ];
  for (const row of rows) {
    it(`${row.allowed ? 'allows' : 'denies'} a DELETE by ${row.who}`, async () => {
      const d = await ask({ oldObject: checkpoints(), requester: row.requester, cluster: fakeCluster({ pods: row.pods ?? pods() }), phase: 'validate' });
      assert.equal(d.allowed, row.allowed, `allowed for ${row.who}: ${d.status?.message ?? ''}`);
      assert.deepEqual(actionsOf(d, 'protect-ha-configmap'), [row.allowed ? 'passed' : 'denied'], 'the finding of protect-ha-configmap');
      if (row.why) assert.match(d.status?.message ?? '', row.why, 'the denial says why the token proves nothing');
    });
  }

  it('a made-up pod does not let anyone set the release mark either (mayRelease)', async () => {
    const released = withField(checkpoints(), 'metadata.annotations', { 'flink-ha.io/release': 'made up' });
    const forged = await ask({ object: released, oldObject: checkpoints(), requester: flinkWith(podBound('made-up-pod')), cluster: fakeCluster({ pods: pods() }), phase: 'validate' });
    assert.deepEqual(actionsOf(forged, 'protect-ha-configmap'), ['denied'], 'the release mark set with forged extras');
    const real = await ask({ object: released, oldObject: checkpoints(), requester: FLINK_SA, cluster: fakeCluster({ pods: pods() }), phase: 'validate' });
    assert.equal(real.allowed, true, `the release mark set by Flink's real Pod: ${real.status?.message ?? ''}`);
  });
});

describe('protect-ha-configmap: who may delete an HA ConfigMap', () => {
  const rows: Array<{ who: string; requester: Requester; cm: () => KubeObject; allowed: boolean }> = [
    { who: 'the Flink cluster\'s own ServiceAccount (cleanup of a finished job)', requester: FLINK_SA, cm: checkpoints, allowed: true },
    { who: 'the operator\'s ServiceAccount (FlinkDeployment deleted, stateless upgrade)', requester: OPERATOR_SA, cm: leader, allowed: true },
    { who: 'a person (kubectl delete cm)', requester: PERSON, cm: checkpoints, allowed: false },
    { who: 'a cluster admin without a release', requester: ADMIN, cm: leader, allowed: false },
    { who: 'the garbage collector (someone added an ownerReference)', requester: GC, cm: leader, allowed: false },
    { who: 'a CD tool\'s ServiceAccount (Argo CD prune)', requester: ARGOCD, cm: checkpoints, allowed: false },
    { who: 'the flink ServiceAccount of another namespace', requester: OTHER_NS_FLINK, cm: leader, allowed: false },
    { who: 'a person, on the 1.12-1.14 layout recognised by name pattern', requester: PERSON, cm: legacy, allowed: false },
    { who: 'an edit user impersonating the Flink ServiceAccount (--as, no pod-bound token)', requester: FLINK_SA_IMPERSONATED, cm: checkpoints, allowed: false },
    { who: 'a token minted with kubectl create token flink (no pod)', requester: { ...FLINK_SA_IMPERSONATED, extra: { 'authentication.kubernetes.io/credential-id': ['JTI=1'] } }, cm: leader, allowed: false },
    { who: 'a user whose name has extra segments (system:serviceaccount:default:flink:x)', requester: { username: 'system:serviceaccount:default:flink:x', extra: podBound('p') }, cm: leader, allowed: false },
    { who: 'a user named like a ServiceAccount prefix (system:serviceaccount:default)', requester: { username: 'system:serviceaccount:default', extra: podBound('p') }, cm: leader, allowed: false },
  ];
  for (const row of rows) {
    it(`${row.allowed ? 'allows' : 'denies'} ${row.who}`, async () => {
      const d = await ask({ oldObject: row.cm(), requester: row.requester, phase: 'validate' });
      assert.equal(d.allowed, row.allowed);
      assert.deepEqual(actionsOf(d, 'protect-ha-configmap'), [row.allowed ? 'passed' : 'denied']);
      if (!row.allowed) {
        assert.equal(d.status!.code, 403);
        assert.match(d.status!.message, /Fix: .*flink-ha\.io\/release/);
      }
    });
  }

  it('allows a configured principal (by group)', async () => {
    const d = await ask({ oldObject: leader(), requester: BREAK_GLASS, config: TEMPLATE_CONFIG({ allowedPrincipals: ['flink-admins'] }), phase: 'validate' });
    assert.equal(d.allowed, true);
  });

  it('honours operatorServiceAccounts written namespace:name, and only in that namespace', async () => {
    const config = TEMPLATE_CONFIG({ operatorServiceAccounts: ['flink-system:operator'] });
    // Both ServiceAccounts run a real Pod op-1: only the namespace of the entry decides.
    const cluster = fakeCluster({ pods: new Map([['flink-system/op-1', { uid: POD_UID, serviceAccountName: 'operator' }], ['team-a/op-1', { uid: POD_UID, serviceAccountName: 'operator' }]]) });
    assert.equal((await ask({ oldObject: leader(), requester: { username: 'system:serviceaccount:flink-system:operator', extra: podBound('op-1') }, config, cluster, phase: 'validate' })).allowed, true, 'the operator entry flink-system:operator with its real Pod deletes');
    assert.equal((await ask({ oldObject: leader(), requester: { username: 'system:serviceaccount:team-a:operator', extra: podBound('op-1') }, config, cluster, phase: 'validate' })).allowed, false, 'operator in team-a is not the entry flink-system:operator');
  });

  it('names why an impersonated owner is refused, and accepts it when requirePodBoundToken is off', async () => {
    const d = await ask({ oldObject: leader(), requester: FLINK_SA_IMPERSONATED, phase: 'validate' });
    assert.match(d.status!.message, /without a pod-bound token/);
    const off = TEMPLATE_CONFIG({ requirePodBoundToken: false });
    assert.equal((await ask({ oldObject: leader(), requester: FLINK_SA_IMPERSONATED, config: off, phase: 'validate' })).allowed, true);
  });

  it('allows anyone once the ConfigMap was released beforehand', async () => {
    const released = withField(leader(), 'metadata.annotations', { 'flink-ha.io/release': 'cluster decommissioned, TICKET-42' });
    assert.equal((await ask({ oldObject: released, requester: PERSON, phase: 'validate' })).allowed, true);
  });

  it('lets a cluster admin set the release annotation, but not a CD tool', async () => {
    const released = leader();
    released.metadata!.annotations = { ...released.metadata!.annotations, 'flink-ha.io/release': 'decommissioned' };
    assert.equal((await ask({ object: released, oldObject: leader(), requester: ADMIN, phase: 'validate' })).allowed, true);
    const d = await ask({ object: released, oldObject: leader(), requester: ARGOCD, phase: 'validate' });
    assert.equal(d.allowed, false);
    assert.deepEqual(actionsOf(d, 'protect-ha-configmap'), ['denied']);
  });

  it('allows the namespace controller only in a released namespace, and fails closed when it cannot tell', async () => {
    const nc: Requester = { username: 'system:serviceaccount:kube-system:namespace-controller' };
    const released = fakeCluster({ namespaces: new Map([['default', { labels: {}, annotations: { 'flink-ha.io/release': 'team offboarded' } }]]) });
    assert.equal((await ask({ oldObject: leader(), requester: nc, cluster: released, phase: 'validate' })).allowed, true);
    assert.equal((await ask({ oldObject: leader(), requester: nc, phase: 'validate' })).allowed, false);
    assert.equal((await ask({ oldObject: leader(), requester: nc, cluster: fakeCluster({ namespaces: new Map() }), phase: 'validate' })).allowed, false);
  });

  it('leaves ordinary ConfigMaps alone', async () => {
    const d = await ask({ oldObject: fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap'), requester: PERSON, phase: 'validate' });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.findings, []);
  });
});

describe('no-owner-reference', () => {
  const owner = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders-etl', uid: '6a1f-uid' }];
  const owner2 = [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: 'orders', uid: '9c2e-uid', blockOwnerDeletion: true }];
  const rows: Array<{ name: string; object: KubeObject; old: KubeObject | null; requester: Requester; action: string }> = [
    { name: 'denies a CREATE that carries an ownerReference', object: withField(leader(), 'metadata.ownerReferences', owner), old: null, requester: PERSON, action: 'denied' },
    { name: 'denies an UPDATE that adds one, even by the Flink ServiceAccount', object: withField(leader(), 'metadata.ownerReferences', owner), old: leader(), requester: FLINK_SA, action: 'denied' },
    { name: 'allows an UPDATE that keeps an existing one (it is already reported by audit)', object: withField(leader(), 'metadata.ownerReferences', owner), old: withField(leader(), 'metadata.ownerReferences', owner), requester: FLINK_SA, action: 'passed' },
    { name: 'allows a non-owner removing one (it only keeps the ConfigMap alive; the GC does it to orphan)', object: leader(), old: withField(leader(), 'metadata.ownerReferences', owner), requester: GC, action: 'passed' },
    { name: 'allows a non-owner removing one of two, the other kept as it was', object: withField(leader(), 'metadata.ownerReferences', owner2), old: withField(leader(), 'metadata.ownerReferences', [owner[0], owner2[0]]), requester: PERSON, action: 'passed' },
    { name: 'denies a non-owner changing one (same count, another uid)', object: withField(leader(), 'metadata.ownerReferences', [{ ...owner[0], uid: 'forged' }]), old: withField(leader(), 'metadata.ownerReferences', owner), requester: PERSON, action: 'denied' },
    { name: 'denies a non-owner removing one and changing the other', object: withField(leader(), 'metadata.ownerReferences', [{ ...owner2[0], blockOwnerDeletion: false }]), old: withField(leader(), 'metadata.ownerReferences', [owner[0], owner2[0]]), requester: PERSON, action: 'denied' },
    { name: 'allows an owner removing one', object: leader(), old: withField(leader(), 'metadata.ownerReferences', owner), requester: FLINK_SA, action: 'passed' },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.object, oldObject: row.old, requester: row.requester, phase: 'validate' });
      assert.deepEqual(actionsOf(d, 'no-owner-reference'), [row.action]);
      assert.equal(d.allowed, row.action !== 'denied');
    });
  }
});

describe('no-ha-data-strip', () => {
  const stale = (): KubeObject => {
    const cm = checkpoints();
    const data = cm.data as Record<string, string>;
    delete data['checkpointID-0000000000000001042'];
    data.counter = '1042';
    return cm;
  };
  const rows: Array<{ name: string; object: KubeObject; requester: Requester; allowed: boolean; message?: RegExp }> = [
    { name: 'denies a stale kubectl apply that rolls the checkpoint pointers back', object: stale(), requester: PERSON, allowed: false, message: /changed \/data\/counter, removed \/data\/checkpointID-0000000000000001042/ },
    { name: 'denies an Argo CD sync that drops the HA labels', object: withField(checkpoints(), 'metadata.labels', { app: 'orders-etl' }), requester: ARGOCD, allowed: false, message: /removed \/metadata\/labels\/type, removed \/metadata\/labels\/configmap-type/ },
    { name: 'allows Flink itself to write new checkpoints and drop old ones', object: stale(), requester: FLINK_SA, allowed: true },
    { name: 'allows the operator to strip job graphs before a resubmit', object: withField(checkpoints(), 'data', {}), requester: OPERATOR_SA, allowed: true },
    { name: 'denies a person adding a label that is not on the allow-list (labels change who reads HA state)', object: withField(checkpoints(), 'metadata.labels.team', 'payments'), requester: PERSON, allowed: false, message: /added \/metadata\/labels\/team/ },
    { name: 'allows a person to set the allow-listed annotation kubernetes.io/description', object: withField(checkpoints(), 'metadata.annotations', { 'kubernetes.io/description': 'orders ETL, team payments' }), requester: PERSON, allowed: true },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.object, oldObject: checkpoints(), requester: row.requester, phase: 'validate' });
      assert.equal(d.allowed, row.allowed);
      if (row.message) assert.match(d.status!.message, row.message);
    });
  }
});

describe('protect-namespace', () => {
  const ns = (annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'streaming', annotations } });
  const withHa = fakeCluster({ namespaces: new Map([['streaming', { labels: {}, annotations: {} }]]), haNamespaces: new Set(['streaming']) });
  const without = fakeCluster({ namespaces: new Map([['streaming', { labels: {}, annotations: {} }]]) });
  it('denies deleting a namespace that holds HA ConfigMaps', async () => {
    const d = await ask({ oldObject: ns(), requester: ADMIN, cluster: withHa, phase: 'validate' });
    assert.equal(d.allowed, false);
    assert.match(d.status!.message, /still holds Flink HA ConfigMaps/);
  });
  it('allows it once the namespace is released', async () => {
    assert.equal((await ask({ oldObject: ns({ 'flink-ha.io/release': 'moved to streaming-v2' }), requester: ADMIN, cluster: withHa, phase: 'validate' })).allowed, true);
  });
  it('allows deleting a namespace without HA state', async () => {
    assert.equal((await ask({ oldObject: ns(), requester: ADMIN, cluster: without, phase: 'validate' })).allowed, true);
  });
  it('fails closed when it cannot tell', async () => {
    const d = await ask({ oldObject: ns(), requester: ADMIN, cluster: fakeCluster({ namespaces: new Map() }), phase: 'validate' });
    assert.equal(d.allowed, false);
    assert.match(d.status!.message, /could not check/);
  });
});

// The allow-list, field by field: what a non-owner may change on HA state (free labels and annotations) and
// what only an owner may (everything else). Each row is one write of the leader ConfigMap.
describe('the HA ConfigMap allow-list, field by field', () => {
  type Edit = (cm: KubeObject) => void;
  const meta = (cm: KubeObject) => cm.metadata as Required<NonNullable<KubeObject['metadata']>>;
  const rows: Array<{ field: string; edit: Edit; free: boolean; rule: string }> = [
    { field: 'the allow-listed annotation kubernetes.io/description', edit: (cm) => { meta(cm).annotations = { ...meta(cm).annotations, 'kubernetes.io/description': 'orders ETL' }; }, free: true, rule: '' },
    { field: 'a label not on the allow-list (team)', edit: (cm) => { meta(cm).labels.team = 'payments'; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'component=autoscaler (hides it from the operator\'s HA-metadata check)', edit: (cm) => { meta(cm).labels.component = 'autoscaler'; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'velero.io/exclude-from-backup=true (drops it from backups)', edit: (cm) => { meta(cm).labels['velero.io/exclude-from-backup'] = 'true'; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'an Argo CD tracking label (Argo would prune it)', edit: (cm) => { meta(cm).labels['app.kubernetes.io/instance'] = 'orders'; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'an annotation not on the allow-list', edit: (cm) => { meta(cm).annotations = { ...meta(cm).annotations, 'example.com/owner': 'team-a' }; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'kubectl\'s last-applied annotation', edit: (cm) => { meta(cm).annotations = { ...meta(cm).annotations, 'kubectl.kubernetes.io/last-applied-configuration': '{}' }; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'a data value (forged checkpoint pointer)', edit: (cm) => { (cm.data as Record<string, string>)['jobGraph-00000000000000000000000000000000'] = 'forged'; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'a new checkpointID key (forged newer pointer)', edit: (cm) => { (cm.data as Record<string, string>)['checkpointID-0000000000000009999'] = 'forged'; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'a new bogus jobGraph key', edit: (cm) => { (cm.data as Record<string, string>)['jobGraph-ffffffffffffffffffffffffffffffff'] = 'bogus'; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'a data key moved to binaryData', edit: (cm) => { const d = cm.data as Record<string, string>; const v = d['jobGraph-00000000000000000000000000000000']!; delete d['jobGraph-00000000000000000000000000000000']; cm.binaryData = { 'jobGraph-00000000000000000000000000000000': v }; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'binaryData added', edit: (cm) => { cm.binaryData = { x: 'AAAA' }; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'immutable: true', edit: (cm) => { cm.immutable = true; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'a finalizer', edit: (cm) => { meta(cm).finalizers = ['example.com/hold']; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'the leader annotation stripped', edit: (cm) => { delete meta(cm).annotations['control-plane.alpha.kubernetes.io/leader']; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'the leader annotation rewritten', edit: (cm) => { meta(cm).annotations['control-plane.alpha.kubernetes.io/leader'] = '{"holderIdentity":"attacker"}'; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'the app label changed', edit: (cm) => { meta(cm).labels.app = 'other'; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'the configmap-type label removed', edit: (cm) => { delete meta(cm).labels['configmap-type']; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'the release annotation', edit: (cm) => { meta(cm).annotations['flink-ha.io/release'] = 'planted'; }, free: false, rule: 'protect-ha-configmap' },
    { field: 'the exempt label', edit: (cm) => { meta(cm).labels['flink-ha.io/exempt'] = 'true'; }, free: false, rule: 'protect-ha-configmap' },
    { field: 'any other flink-ha.io/ annotation', edit: (cm) => { meta(cm).annotations['flink-ha.io/note'] = 'x'; }, free: false, rule: 'protect-ha-configmap' },
    { field: 'an ownerReference', edit: (cm) => { meta(cm).ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u' }]; }, free: false, rule: 'no-owner-reference' },
    { field: 'a field the policy has never heard of', edit: (cm) => { cm.spec = { surprise: true }; }, free: false, rule: 'no-ha-data-strip' },
    { field: 'metadata that is not a map', edit: (cm) => { meta(cm).labels = 'app=x' as unknown as Record<string, string>; }, free: false, rule: 'no-ha-data-strip' },
  ];
  const edited = (edit: Edit): KubeObject => { const cm = leader(); edit(cm); return cm; };
  for (const row of rows) {
    it(`UPDATE of ${row.field}: ${row.free ? 'anyone' : `owners only (${row.rule})`}`, async () => {
      const byPerson = await ask({ object: edited(row.edit), oldObject: leader(), requester: PERSON, phase: 'validate' });
      assert.equal(byPerson.allowed, row.free, byPerson.status?.message);
      if (!row.free) assert.ok(byPerson.findings.some((f) => f.rule === row.rule && f.action === 'denied'), JSON.stringify(byPerson.findings));
      const byImpostor = await ask({ object: edited(row.edit), oldObject: leader(), requester: FLINK_SA_IMPERSONATED, phase: 'validate' });
      assert.equal(byImpostor.allowed, row.free);
      const byOwner = await ask({ object: edited(row.edit), oldObject: leader(), requester: FLINK_SA, phase: 'validate' });
      assert.equal(byOwner.allowed, row.rule !== 'no-owner-reference', byOwner.status?.message);
    });
  }

  it('CREATE of HA state: only owners (a planted HA ConfigMap), never with an ownerReference', async () => {
    const person = await ask({ object: leader(), requester: PERSON, phase: 'validate' });
    assert.equal(person.allowed, false);
    assert.match(person.status!.message, /may not create HA ConfigMap default\/orders-etl-cluster-config-map/);
    assert.equal((await ask({ object: leader(), requester: FLINK_SA, phase: 'validate' })).allowed, true);
    assert.equal((await ask({ object: leader(), requester: OPERATOR_SA, phase: 'validate' })).allowed, true);
    assert.equal((await ask({ object: leader(), requester: FLINK_SA_IMPERSONATED, phase: 'validate' })).allowed, false);
    const released = withField(leader(), 'metadata.annotations', { 'flink-ha.io/release': 'planted' });
    const planted = await ask({ object: released, requester: PERSON, phase: 'validate' });
    assert.ok(planted.findings.some((f) => f.rule === 'protect-ha-configmap' && f.action === 'denied'), `protect-ha-configmap denies a person creating a released HA ConfigMap: ${JSON.stringify(planted.findings)}`);
  });

  it('CREATE of an unlabelled ConfigMap that Flink would adopt (HA name + Flink-only keys, or a release mark): owners only', async () => {
    const forged: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orders-etl-00000000000000000000000000000000-config-map' }, data: { 'checkpointID-0000000000000009999': 'forged' } };
    assert.equal((await ask({ object: forged, requester: PERSON, phase: 'validate' })).allowed, false);
    assert.equal((await ask({ object: forged, requester: FLINK_SA, phase: 'validate' })).allowed, true);
    const marked: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orders-etl-cluster-config-map', annotations: { 'flink-ha.io/release': 'x' } } };
    assert.equal((await ask({ object: marked, requester: PERSON, phase: 'validate' })).allowed, false);
    // An ordinary ConfigMap whose name merely ends like one is none of the guards' business.
    const plain: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'db-config-map' }, data: { address: 'db:5432', counter: '1' } };
    const d = await ask({ object: plain, requester: PERSON, phase: 'validate' });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.findings, []);
  });

  it('a release by a cluster admin is allowed, but not with other edits in the same write', async () => {
    const release = edited((cm) => { meta(cm).annotations['flink-ha.io/release'] = 'decommissioned'; });
    assert.equal((await ask({ object: release, oldObject: leader(), requester: ADMIN, phase: 'validate' })).allowed, true);
    const releaseAndStrip = edited((cm) => { meta(cm).annotations['flink-ha.io/release'] = 'decommissioned'; cm.data = {}; });
    assert.equal((await ask({ object: releaseAndStrip, oldObject: leader(), requester: ADMIN, phase: 'validate' })).allowed, false);
  });
});

describe('guard mode comes from the webhook config only', () => {
  const auditLabelled = fakeCluster({ namespaces: new Map([['default', { labels: { 'flink-ha.io/mode': 'audit', 'flink-ha.io/exempt': 'true' }, annotations: {} }]]) });
  it('a namespace labelled flink-ha.io/mode=audit or exempt does not switch the guards off', async () => {
    const d = await ask({ oldObject: leader(), requester: PERSON, cluster: auditLabelled, phase: 'validate' });
    assert.equal(d.allowed, false);
    const u = await ask({ object: withField(leader(), 'data', {}), oldObject: leader(), requester: PERSON, cluster: auditLabelled, phase: 'validate' });
    assert.equal(u.allowed, false);
  });
  it('namespaceModes in config do not either; guardMode does (staged rollout)', async () => {
    assert.equal((await ask({ oldObject: leader(), requester: PERSON, config: TEMPLATE_CONFIG({ namespaceModes: { default: 'warn' } }), phase: 'validate' })).allowed, false);
    const warn = await ask({ oldObject: leader(), requester: PERSON, config: TEMPLATE_CONFIG({ guardMode: 'warn' }), phase: 'validate' });
    assert.equal(warn.allowed, true);
    assert.match(warn.warnings.join('\n'), /\[protect-ha-configmap\] would deny/);
  });
});
