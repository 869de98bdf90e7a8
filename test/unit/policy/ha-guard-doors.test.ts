// The doors of issue 19, one table each: the non-owner allow-list of labels/annotations and its byte bound,
// ConfigMaps planted under a name Flink's HA will use, and the release annotation on a namespace. Every table has
// its deny rows and its allow rows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, ADMIN, ARGOCD, ask, fakeCluster, fixture, FLINK_SA, FLINK_SA_IMPERSONATED, OPERATOR_SA, PERSON, POD_UID, podBound, TEMPLATE_CONFIG, withField } from '../../support/policy.ts';
import { HA_STATE_NAME_SOURCE, takesHaStateName } from '../../../src/flink/ha-configmap.ts';
import { judgeSnapshot } from '../../../src/snapshot/judge.ts';
import type { Requester } from '../../../src/policy/types.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

const leader = () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-cluster-config-map');
const JOB = '0123456789abcdef0123456789abcdef';

describe('no-ha-data-strip: the non-owner allow-list (nonOwnerMetadata) and its byte bound', () => {
  const config = TEMPLATE_CONFIG({ nonOwnerMetadata: { labels: ['team', 'cost.example.com/*'], annotations: ['kubernetes.io/description'], maxBytes: 200 } });
  const labelled = (labels: Record<string, string>, annotations: Record<string, string> = {}) => {
    const cm = leader();
    cm.metadata!.labels = { ...cm.metadata!.labels, ...labels };
    cm.metadata!.annotations = { ...cm.metadata!.annotations, ...annotations };
    return cm;
  };
  const bloat = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`bloat-${i}`, 'x'.repeat(60)]));
  const rows: Array<{ name: string; object: KubeObject; old?: KubeObject; requester: Requester; allowed: boolean; message?: RegExp }> = [
    { name: 'an exact allow-listed label (team)', object: labelled({ team: 'payments' }), requester: PERSON, allowed: true },
    { name: 'a label under an allow-listed prefix (cost.example.com/*)', object: labelled({ 'cost.example.com/center': 'cc-42' }), requester: PERSON, allowed: true },
    { name: 'removing an allow-listed label', object: leader(), old: labelled({ team: 'payments' }), requester: PERSON, allowed: true },
    { name: 'a label beside the prefix (cost.example.com.evil/x)', object: labelled({ 'cost.example.com.evil/x': '1' }), requester: PERSON, allowed: false, message: /added \/metadata\/labels\/cost\.example\.com\.evil~1x/ },
    { name: 'component=autoscaler', object: labelled({ component: 'autoscaler' }), requester: PERSON, allowed: false, message: /added \/metadata\/labels\/component/ },
    { name: 'velero.io/exclude-from-backup=true', object: labelled({ 'velero.io/exclude-from-backup': 'true' }), requester: ARGOCD, allowed: false, message: /velero\.io~1exclude-from-backup/ },
    { name: 'removing a label someone else set (not on the list)', object: leader(), old: labelled({ component: 'autoscaler' }), requester: PERSON, allowed: false, message: /removed \/metadata\/labels\/component/ },
    { name: '2,000 labels in one write', object: labelled(bloat), requester: PERSON, allowed: false, message: /added \/metadata\/labels\/bloat-0, .* and 1996 more/ },
    { name: 'allow-listed keys within the bound', object: labelled({ team: 'payments' }, { 'kubernetes.io/description': 'orders ETL' }), requester: PERSON, allowed: true },
    { name: 'allow-listed keys past the bound', object: labelled({ team: 'payments' }, { 'kubernetes.io/description': 'x'.repeat(300) }), requester: PERSON, allowed: false, message: /to 3\d\d bytes \(the bound is 200\)/ },
    { name: 'many allow-listed prefix keys past the bound', object: labelled(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`cost.example.com/k${i}`, 'v']))), requester: PERSON, allowed: false, message: /the bound is 200/ },
    { name: 'shrinking allow-listed keys that are past the bound', object: labelled({}, { 'kubernetes.io/description': 'x'.repeat(250) }), old: labelled({}, { 'kubernetes.io/description': 'x'.repeat(300) }), requester: PERSON, allowed: true },
    { name: 'an owner past the bound (owners write anything but ownerReferences)', object: labelled(bloat), requester: FLINK_SA, allowed: true },
  ];
  for (const row of rows) {
    it(`${row.allowed ? 'allows' : 'denies'} ${row.name}`, async () => {
      const d = await ask({ object: row.object, oldObject: row.old ?? leader(), requester: row.requester, config, phase: 'validate' });
      assert.equal(d.allowed, row.allowed, d.status?.message ?? JSON.stringify(d.findings));
      assert.deepEqual(actionsOf(d, 'no-ha-data-strip'), [row.allowed ? 'passed' : 'denied'], 'no-ha-data-strip decides');
      if (row.message) assert.match(d.status!.message, row.message);
    });
  }

  it('an empty allow-list leaves non-owners nothing to write', async () => {
    const closed = TEMPLATE_CONFIG({ nonOwnerMetadata: { labels: [], annotations: [], maxBytes: 4096 } });
    const d = await ask({ object: labelled({}, { 'kubernetes.io/description': 'x' }), oldObject: leader(), requester: PERSON, config: closed, phase: 'validate' });
    assert.equal(d.allowed, false, 'the default annotation is closed too');
    assert.match(d.status!.message, /nothing \(nonOwnerMetadata lists no key\)/);
  });
});

describe('no-ha-data-strip: a ConfigMap planted under a name Flink\'s HA will use', () => {
  const cm = (name: string, rest: Partial<KubeObject> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, ...rest });
  const owned = (name: string) => withField(cm(name), 'metadata.ownerReferences', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u-1' }]);
  const planted: Array<{ what: string; object: KubeObject; rules: string[] }> = [
    { what: 'an empty <id>-cluster-config-map', object: cm('orders-etl-cluster-config-map'), rules: ['no-ha-data-strip'] },
    { what: 'an immutable <id>-cluster-config-map', object: cm('orders-etl-cluster-config-map', { immutable: true }), rules: ['no-ha-data-strip'] },
    { what: 'an owned <id>-cluster-config-map', object: owned('orders-etl-cluster-config-map'), rules: ['no-ha-data-strip', 'no-owner-reference'] },
    { what: 'an empty <id>-<job>-config-map', object: cm(`orders-etl-${JOB}-config-map`), rules: ['no-ha-data-strip'] },
    { what: 'an immutable <id>-<job>-config-map with ordinary data', object: cm(`orders-etl-${JOB}-config-map`, { immutable: true, data: { note: 'x' } }), rules: ['no-ha-data-strip'] },
    { what: 'an empty 1.12-1.14 <id>-dispatcher-leader', object: cm('legacy-app-dispatcher-leader'), rules: ['no-ha-data-strip'] },
    { what: 'an empty <id>-<job>-jobmanager-leader', object: cm(`legacy-app-${JOB}-jobmanager-leader`), rules: ['no-ha-data-strip'] },
    { what: 'a 45-character cluster-id', object: cm(`a${'b'.repeat(44)}-cluster-config-map`), rules: ['no-ha-data-strip'] },
  ];
  for (const row of planted) {
    it(`denies a non-owner's CREATE of ${row.what}, allows the Flink ServiceAccount's`, async () => {
      const d = await ask({ object: row.object, requester: PERSON, phase: 'validate' });
      assert.equal(d.allowed, false, JSON.stringify(d.findings));
      for (const rule of row.rules) assert.deepEqual(actionsOf(d, rule), ['denied'], rule);
      assert.match(d.status!.message, /\[no-ha-data-strip\] user alice@example\.com may not create HA ConfigMap default\//);
      assert.match(d.status!.message, /give it a name that is not one of Flink's HA names/);
      assert.equal((await ask({ object: row.object, requester: FLINK_SA_IMPERSONATED, phase: 'validate' })).allowed, false, 'an impersonated owner is no owner');
      const byFlink = await ask({ object: row.object, requester: FLINK_SA, phase: 'validate' });
      assert.equal(byFlink.allowed, !row.rules.includes('no-owner-reference'), byFlink.status?.message);
    });
  }

  const ordinary: Array<{ what: string; name: string }> = [
    { what: 'db-config-map (no cluster-id part)', name: 'db-config-map' },
    { what: 'my-app-config-map (no 32-hex job id)', name: 'my-app-config-map' },
    { what: 'a 31-hex job id', name: `orders-${JOB.slice(1)}-config-map` },
    { what: 'an upper-case hex job id', name: `orders-${JOB.toUpperCase()}-config-map` },
    { what: 'a 46-character cluster-id (Flink refuses it)', name: `a${'b'.repeat(45)}-cluster-config-map` },
    { what: 'a cluster-id starting with a digit', name: '1orders-cluster-config-map' },
    { what: 'a cluster-id ending with a dash', name: 'orders--cluster-config-map' },
    { what: 'a leader-like name of another layout', name: 'orders-scheduler-leader' },
  ];
  for (const row of ordinary) {
    it(`allows anyone to create ${row.what}`, async () => {
      assert.equal(takesHaStateName(cm(row.name)), false, `${row.name} does not match ${HA_STATE_NAME_SOURCE}`);
      const d = await ask({ object: cm(row.name, { immutable: true, data: { address: 'db:5432' } }), requester: PERSON, phase: 'validate' });
      assert.equal(d.allowed, true, d.status?.message);
      assert.deepEqual(d.findings.filter((f) => f.rule.startsWith('no-') || f.rule.startsWith('protect-')), [], 'none of the guards\' business');
    });
  }

  it('an existing ConfigMap that is HA state by name only is judged by its content: its users may edit and delete it', async () => {
    const existing = cm('orders-etl-cluster-config-map', { data: { note: 'planted before the webhook' } });
    const edit = await ask({ object: withField(existing, 'data.note', 'x'), oldObject: existing, requester: PERSON, phase: 'validate' });
    assert.equal(edit.allowed, true, edit.status?.message);
    const del = await ask({ oldObject: existing, requester: PERSON, phase: 'validate' });
    assert.equal(del.allowed, true, del.status?.message);
    // ...but no update may turn it into content Flink would adopt.
    const forged = await ask({ object: withField(existing, 'data', { 'checkpointID-0000000000000000099': 'forged' }), oldObject: existing, requester: PERSON, phase: 'validate' });
    assert.equal(forged.allowed, false);
  });

  it('the audit agrees: a manifest under an HA name is a planted CREATE; a stored one (a live read) is no write', async () => {
    const planted = cm('orders-etl-cluster-config-map', { immutable: true });
    const asManifest = await judgeSnapshot({ objects: [{ object: planted }], defaultNamespace: 'default' }, { config: TEMPLATE_CONFIG(), operation: 'CREATE', requester: PERSON });
    assert.equal(asManifest[0]!.decision.allowed, false, 'applying it would be denied');
    const asStored = await judgeSnapshot({ objects: [{ object: planted }], defaultNamespace: 'default', facts: { workloadsComplete: true } }, { config: TEMPLATE_CONFIG(), operation: 'CREATE', requester: PERSON });
    assert.equal(asStored[0]!.decision.allowed, true, 'it exists already: judged by its content, as the webhook judges its updates');
  });
});

describe('protect-namespace: the release annotation on a namespace', () => {
  const ns = (annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'streaming', annotations } });
  // The Pods the owners' tokens are bound to, as they run (a pod-bound token proves an owner only for a real Pod).
  const pods = new Map([
    ['streaming/orders-jobmanager-0', { uid: POD_UID, serviceAccountName: 'flink' }],
    ['flink-operator/flink-kubernetes-operator-5d8f', { uid: POD_UID, serviceAccountName: 'flink-operator' }],
  ]);
  const withHa = fakeCluster({ namespaces: new Map([['streaming', { labels: {}, annotations: {} }]]), haNamespaces: new Set(['streaming']), pods });
  const without = fakeCluster({ namespaces: new Map([['streaming', { labels: {}, annotations: {} }]]), pods });
  const CD: Requester = { username: 'system:serviceaccount:cd:deployer', groups: ['system:serviceaccounts'] };
  const STREAMING_FLINK: Requester = { username: 'system:serviceaccount:streaming:flink', extra: podBound('orders-jobmanager-0') };
  const released = ns({ 'flink-ha.io/release': 'moved to streaming-v2' });
  const rows: Array<{ name: string; object: KubeObject; old: KubeObject | null; requester: Requester; allowed: boolean; config?: Record<string, unknown> }> = [
    { name: 'a CD ServiceAccount setting it', object: released, old: ns(), requester: CD, allowed: false },
    { name: 'a CD ServiceAccount changing it', object: ns({ 'flink-ha.io/release': 'other' }), old: released, requester: CD, allowed: false },
    { name: 'a CD ServiceAccount removing it', object: ns(), old: released, requester: CD, allowed: false },
    { name: 'a person setting it to an empty value', object: ns({ 'flink-ha.io/release': '' }), old: ns(), requester: PERSON, allowed: false },
    { name: 'a CD ServiceAccount creating a namespace with it', object: released, old: null, requester: CD, allowed: false },
    { name: 'the namespace\'s Flink ServiceAccount impersonated (no pod-bound token)', object: released, old: ns(), requester: { ...STREAMING_FLINK, extra: undefined }, allowed: false },
    { name: 'another namespace\'s Flink ServiceAccount', object: released, old: ns(), requester: FLINK_SA, allowed: false },
    { name: 'a cluster admin setting it', object: released, old: ns(), requester: ADMIN, allowed: true },
    { name: 'a cluster admin removing it', object: ns(), old: released, requester: ADMIN, allowed: true },
    { name: 'a cluster admin creating a namespace with it', object: released, old: null, requester: ADMIN, allowed: true },
    { name: 'the namespace\'s Flink ServiceAccount with its pod-bound token', object: released, old: ns(), requester: STREAMING_FLINK, allowed: true },
    { name: 'the operator\'s ServiceAccount', object: released, old: ns(), requester: OPERATOR_SA, allowed: true },
    { name: 'a configured allowedPrincipal', object: released, old: ns(), requester: { username: 'bob', groups: ['flink-admins'] }, allowed: true, config: { allowedPrincipals: ['flink-admins'] } },
  ];
  for (const row of rows) {
    for (const [label, cluster] of [['holding HA state', withHa], ['without HA state (Flink may write some the next moment)', without]] as const) {
      it(`${row.allowed ? 'allows' : 'denies'} ${row.name}, namespace ${label}`, async () => {
        const d = await ask({ object: row.object, oldObject: row.old, requester: row.requester, cluster, config: TEMPLATE_CONFIG(row.config ?? {}), phase: 'validate' });
        assert.equal(d.allowed, row.allowed, d.status?.message ?? JSON.stringify(d.findings));
        assert.deepEqual(actionsOf(d, 'protect-namespace'), [row.allowed ? 'passed' : 'denied']);
        if (!row.allowed) assert.match(d.status!.message, /may not set, change or remove flink-ha\.io\/release on namespace streaming.*Fix: ask an owner/s);
      });
    }
  }

  it('leaves other namespace writes alone (labels, other annotations, the release kept as it was)', async () => {
    for (const [object, old] of [[ns({ team: 'payments' }), ns()], [withField(released, 'metadata.labels', { team: 'x' }), released], [ns(), null]] as const) {
      const d = await ask({ object, oldObject: old, requester: CD, cluster: withHa, phase: 'validate' });
      assert.equal(d.allowed, true, d.status?.message);
      assert.deepEqual(actionsOf(d, 'protect-namespace'), []);
    }
  });

  it('a release and the removal of the ha-state label in one write are each decided', async () => {
    const labelled = withField(ns(), 'metadata.labels', { 'flink-ha.io/ha-state': 'true' });
    const both = withField(released, 'metadata.labels', {});
    const byCd = await ask({ object: both, oldObject: labelled, requester: CD, cluster: withHa, phase: 'validate' });
    assert.deepEqual(actionsOf(byCd, 'protect-namespace'), ['denied', 'denied'], 'the release, and the label off a namespace still holding HA state');
    const byAdmin = await ask({ object: both, oldObject: labelled, requester: ADMIN, cluster: withHa, phase: 'validate' });
    assert.deepEqual(actionsOf(byAdmin, 'protect-namespace'), ['passed', 'denied'], 'the label goes only once released (as stored) or empty');
  });
});
