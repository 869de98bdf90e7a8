// Rows that catch one-line regressions of the HA guards which no other unit or HTTP test caught (issue 19's
// mutation check): each row fails when the line its comment names is mutated. docs/testing.md keeps the mapping.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, ADMIN, ask, fakeCluster, fixture, GC, PERSON, withField } from '../../support/policy.ts';
import type { ClusterView, Requester } from '../../../src/policy/types.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

const leader = () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-cluster-config-map');
const NAMESPACE_CONTROLLER: Requester = { username: 'system:serviceaccount:kube-system:namespace-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] };
const RELEASE = 'flink-ha.io/release';
const EXEMPT = 'flink-ha.io/exempt';
const HA_STATE = 'flink-ha.io/ha-state';

const withAnnotation = (cm: KubeObject, key: string, value: string) => withField(cm, 'metadata.annotations', { ...cm.metadata?.annotations, [key]: value });
const withLabel = (cm: KubeObject, key: string, value: string) => withField(cm, 'metadata.labels', { ...cm.metadata?.labels, [key]: value });

// ha-owned-fields.ts releaseMarkOf (release.ts releaseReason): only a release with a reason (not blank, not "false" in
// any case), or exempt exactly "true", releases.
describe('protect-ha-configmap: which marks release an HA ConfigMap for deletion', () => {
  const rows: Array<{ mark: string; cm: () => KubeObject; released: boolean }> = [
    { mark: `${RELEASE}: "cluster decommissioned, TICKET-42"`, cm: () => withAnnotation(leader(), RELEASE, 'cluster decommissioned, TICKET-42'), released: true },
    { mark: `${RELEASE}: "false" (someone undid a release)`, cm: () => withAnnotation(leader(), RELEASE, 'false'), released: false },
    { mark: `${RELEASE}: "" (an empty value)`, cm: () => withAnnotation(leader(), RELEASE, ''), released: false },
    { mark: `${RELEASE}: "False" (any case)`, cm: () => withAnnotation(leader(), RELEASE, 'False'), released: false },
    { mark: `${RELEASE}: "  " (blank: a release says why)`, cm: () => withAnnotation(leader(), RELEASE, '  '), released: false },
    { mark: `${EXEMPT}: "true"`, cm: () => withLabel(leader(), EXEMPT, 'true'), released: true },
    { mark: `${EXEMPT}: "false"`, cm: () => withLabel(leader(), EXEMPT, 'false'), released: false },
    { mark: `${EXEMPT}: "yes" (not the one value that exempts)`, cm: () => withLabel(leader(), EXEMPT, 'yes'), released: false },
    { mark: `${EXEMPT}: "" (an empty value)`, cm: () => withLabel(leader(), EXEMPT, ''), released: false },
  ];
  for (const row of rows) {
    it(`a person deleting one marked ${row.mark}: ${row.released ? 'allowed' : 'denied'}`, async () => {
      const d = await ask({ oldObject: row.cm(), requester: PERSON, phase: 'validate' });
      const actions = actionsOf(d, 'protect-ha-configmap');
      assert.deepEqual(actions, [row.released ? 'passed' : 'denied'], `${row.mark}: ${JSON.stringify(d.findings)}`);
      assert.equal(d.allowed, row.released, `${row.mark}: ${d.status?.message ?? 'allowed'}`);
    });
  }
});

// protect-ha-configmap.ts: `requester.username === NAMESPACE_CONTROLLER && namespaceReleased(t)`, and
// namespaceReleased's `released !== '' && released !== 'false'`.
describe('protect-ha-configmap: a released namespace lets only the namespace controller delete its HA ConfigMaps', () => {
  const nsWith = (annotations: Record<string, string>): ClusterView =>
    fakeCluster({ namespaces: new Map([['default', { labels: {}, annotations }]]) });
  const released = () => nsWith({ [RELEASE]: 'team offboarded, TICKET-7' });
  const rows: Array<{ who: string; requester: Requester; cluster: () => ClusterView; allowed: boolean }> = [
    { who: 'the namespace controller, namespace released', requester: NAMESPACE_CONTROLLER, cluster: released, allowed: true },
    { who: 'a person, namespace released', requester: PERSON, cluster: released, allowed: false },
    { who: 'a cluster admin, namespace released (the namespace release is not a ConfigMap release)', requester: ADMIN, cluster: released, allowed: false },
    { who: 'the garbage collector, namespace released', requester: GC, cluster: released, allowed: false },
    { who: 'a user named like the namespace controller in another namespace', requester: { username: 'system:serviceaccount:team-a:namespace-controller' }, cluster: released, allowed: false },
    { who: 'the namespace controller, namespace release "false"', requester: NAMESPACE_CONTROLLER, cluster: () => nsWith({ [RELEASE]: 'false' }), allowed: false },
    { who: 'the namespace controller, namespace release ""', requester: NAMESPACE_CONTROLLER, cluster: () => nsWith({ [RELEASE]: '' }), allowed: false },
    { who: 'the namespace controller, namespace not released', requester: NAMESPACE_CONTROLLER, cluster: () => nsWith({}), allowed: false },
  ];
  for (const row of rows) {
    it(`${row.allowed ? 'allows' : 'denies'} ${row.who}`, async () => {
      const d = await ask({ oldObject: leader(), requester: row.requester, cluster: row.cluster(), phase: 'validate' });
      assert.deepEqual(actionsOf(d, 'protect-ha-configmap'), [row.allowed ? 'passed' : 'denied'], `${row.who}: ${JSON.stringify(d.findings)}`);
      assert.equal(d.allowed, row.allowed, `${row.who}: ${d.status?.message ?? 'allowed'}`);
    });
  }
});

// protect-namespace.ts, UPDATE branch: only the webhook takes the ha-state label off a namespace holding HA state.
describe('protect-namespace: removing the ha-state label from a namespace', () => {
  const ns = (labels: Record<string, string>, annotations: Record<string, string> = {}): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'streaming', labels, annotations } });
  const labelled = { [HA_STATE]: 'true', team: 'payments' };
  const unlabelled = { team: 'payments' };
  const holding = () => fakeCluster({ namespaces: new Map([['streaming', { labels: labelled, annotations: {} }]]), haNamespaces: new Set(['streaming']) });
  const empty = () => fakeCluster({ namespaces: new Map([['streaming', { labels: labelled, annotations: {} }]]) });
  const unknown = () => fakeCluster({ namespaces: new Map() });
  const rows: Array<{ name: string; old: KubeObject; next: KubeObject; cluster: () => ClusterView; actions: string[] }> = [
    { name: 'removed while the namespace holds HA ConfigMaps: denied', old: ns(labelled), next: ns(unlabelled), cluster: holding, actions: ['denied'] },
    { name: 'removed once the namespace was released: passed', old: ns(labelled, { [RELEASE]: 'moved to streaming-v2' }), next: ns(unlabelled, { [RELEASE]: 'moved to streaming-v2' }), cluster: holding, actions: ['passed'] },
    { name: 'removed with a release of "false": denied', old: ns(labelled, { [RELEASE]: 'false' }), next: ns(unlabelled, { [RELEASE]: 'false' }), cluster: holding, actions: ['denied'] },
    { name: 'removed when the namespace holds no HA ConfigMaps: passed', old: ns(labelled), next: ns(unlabelled), cluster: empty, actions: ['passed'] },
    { name: 'removed when the webhook could not check: denied (fail closed)', old: ns(labelled), next: ns(unlabelled), cluster: unknown, actions: ['denied'] },
    { name: 'kept while another label changes: no finding', old: ns(labelled), next: ns({ ...labelled, team: 'risk' }), cluster: holding, actions: [] },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.next, oldObject: row.old, requester: ADMIN, cluster: row.cluster(), phase: 'validate' });
      assert.deepEqual(actionsOf(d, 'protect-namespace'), row.actions, `${row.name}: ${JSON.stringify(d.findings)}`);
      assert.equal(d.allowed, !row.actions.includes('denied'), `${row.name}: ${d.status?.message ?? 'allowed'}`);
      if (row.actions.includes('denied')) assert.match(d.status?.message ?? '', /flink-ha\.io\/ha-state/, `${row.name}: the message names the label`);
    });
  }
});

// ha-owned-fields.ts SERVER_META includes managedFields: field-manager bookkeeping is not HA state.
describe('the HA ConfigMap allow-list: managedFields', () => {
  const entry = (manager: string, operation: string, fields: Record<string, unknown>) =>
    ({ manager, operation, apiVersion: 'v1', time: '2026-12-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: fields });
  const flinkEntry = entry('fabric8-kubernetes-client', 'Update', { 'f:data': { 'f:org.apache.flink.k8s.leader.dispatcher': {} } });
  const stored = () => withField(leader(), 'metadata.managedFields', [flinkEntry]);
  const rows: Array<{ name: string; next: () => KubeObject; allowed: boolean }> = [
    {
      // kubernetes.io/description: the one key nonOwnerMetadata allows non-owners by default.
      name: 'a server-side apply of an allow-listed annotation (a new field manager in managedFields): allowed',
      next: () => withField(withField(stored(), 'metadata.annotations', { ...stored().metadata?.annotations, 'kubernetes.io/description': 'orders ETL' }), 'metadata.managedFields',
        [flinkEntry, entry('kubectl', 'Apply', { 'f:metadata': { 'f:annotations': { 'f:kubernetes.io/description': {} } } })]),
      allowed: true,
    },
    {
      name: 'a write that only rewrites managedFields: allowed',
      next: () => withField(stored(), 'metadata.managedFields', [entry('kubectl', 'Update', { 'f:metadata': {} })]),
      allowed: true,
    },
    {
      name: 'a server-side apply that also strips a data key: denied (managedFields hide nothing)',
      next: () => {
        const cm = withField(stored(), 'metadata.managedFields', [flinkEntry, entry('kubectl', 'Apply', { 'f:data': {} })]);
        delete (cm.data as Record<string, string>)['jobGraph-00000000000000000000000000000000'];
        return cm;
      },
      allowed: false,
    },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.next(), oldObject: stored(), requester: PERSON, phase: 'validate' });
      assert.equal(d.allowed, row.allowed, `${row.name}: ${d.status?.message ?? 'allowed'}`);
      const denied = d.findings.filter((f) => f.action === 'denied');
      if (row.allowed) assert.deepEqual(denied, [], `${row.name}: nothing denied`);
      else assert.deepEqual(denied.map((f) => f.rule), ['no-ha-data-strip'], `${row.name}: ${JSON.stringify(denied)}`);
    });
  }
});
