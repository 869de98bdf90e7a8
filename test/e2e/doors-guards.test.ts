// Issue 19's doors to HA state, each tried through the real API server as the identity that found it: a CD
// ServiceAccount that may patch and delete namespaces (the namespace release), an `edit` user (labels that change
// who reads HA state, and label bloat), a ServiceAccount with every ConfigMap right (ConfigMaps planted under the
// names Flink's HA will use), and a dry-run delete that primed "no HA state" before Flink wrote some. After each
// attempt the stored state is checked byte for byte and by resourceVersion.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createFlinkNamespace, mintedKubeconfig, podBoundKubeconfig, startE2E, type E2E, type KubectlResult } from './harness/index.ts';
import { waitFor } from './harness/processes.ts';

const NS = 'doors';
const RELEASE_NS = 'doors-release';
const EMPTY_NS = 'doors-empty';
const STALE_NS = 'doors-stale';
const HA_FIXTURE = join(import.meta.dirname, 'fixtures', 'ha-configmaps.yaml');
const CLUSTER_CM = 'demo-cluster-config-map';
const JOB_CM = 'demo-00000000000000000000000000000001-config-map';
const HA_CMS = [CLUSTER_CM, JOB_CM];
const LABEL = 'flink-ha.io/ha-state';
const RELEASE = 'flink-ha.io/release';

describe('the doors of issue 19, through the real API server', () => {
  let e2e: E2E;
  const cfg: Record<string, string> = {};
  const as = (who: string, args: string[], input?: string): Promise<KubectlResult> =>
    e2e.plane.kubectl(args, { kubeconfig: cfg[who]!, ...(input === undefined ? {} : { input }) });

  /** The HA ConfigMaps of a namespace as stored: every field a non-owner could touch, and the resourceVersions. */
  const storedHa = async (ns: string): Promise<string> => {
    const items = (JSON.parse(await e2e.plane.kubectlOk(['get', 'configmap', ...HA_CMS, '-n', ns, '-o', 'json'])) as { items: Array<Record<string, any>> }).items;
    return JSON.stringify(items.map((cm) => ({
      name: cm.metadata.name, resourceVersion: cm.metadata.resourceVersion, data: cm.data, binaryData: cm.binaryData,
      immutable: cm.immutable, labels: cm.metadata.labels, annotations: cm.metadata.annotations,
      ownerReferences: cm.metadata.ownerReferences, finalizers: cm.metadata.finalizers,
    })), null, 1);
  };
  /** A namespace as stored: its metadata (labels, annotations, resourceVersion, deletionTimestamp) and phase. */
  const storedNs = async (ns: string): Promise<string> => {
    const n = JSON.parse(await e2e.plane.kubectlOk(['get', 'namespace', ns, '-o', 'json'])) as Record<string, any>;
    return JSON.stringify({ labels: n.metadata.labels, annotations: n.metadata.annotations, resourceVersion: n.metadata.resourceVersion, deletionTimestamp: n.metadata.deletionTimestamp, phase: n.status.phase });
  };
  const assertDenied = (r: KubectlResult, rule: RegExp) => {
    assert.notEqual(r.code, 0, `the write went through: ${r.stdout}`);
    assert.match(r.stderr, rule, r.stderr);
  };
  /** Flink writes its HA state as it does in a pod: its own pod-bound token (the webhook never sees these writes). */
  const seed = async (ns: string) => {
    cfg[`flink-${ns}`] ??= await podBoundKubeconfig(e2e.plane, ns, 'flink', 'demo-jobmanager-0');
    const r = await as(`flink-${ns}`, ['-n', ns, 'apply', '--server-side', '--field-manager=flink', '-f', HA_FIXTURE]);
    assert.equal(r.code, 0, r.stderr);
  };
  const labelled = (ns: string) => waitFor(`the webhook to label ${ns} ${LABEL}`, async () =>
    (JSON.parse(await storedNs(ns)) as { labels?: Record<string, string> }).labels?.[LABEL] === 'true' || undefined);

  before(async () => {
    e2e = await startE2E();
    const { plane } = e2e;
    for (const ns of [NS, RELEASE_NS, EMPTY_NS, STALE_NS]) await createFlinkNamespace(plane, ns);
    // deployer: a CD ServiceAccount (its own namespace) allowed to create, patch and delete every namespace.
    await plane.kubectlOk(['create', 'namespace', 'cd']);
    await plane.kubectlOk(['create', 'serviceaccount', 'deployer', '-n', 'cd']);
    await plane.kubectlOk(['create', 'clusterrole', 'namespace-admin', '--verb=get,list,watch,create,update,patch,delete', '--resource=namespaces']);
    await plane.kubectlOk(['create', 'clusterrolebinding', 'deployer', '--clusterrole=namespace-admin', '--serviceaccount=cd:deployer']);
    cfg.deployer = await mintedKubeconfig(plane, 'cd', 'deployer');
    // mallory: the namespace `edit` role (the rules it aggregates), as in ha-guards-attacks.test.ts.
    await plane.kubectlOk(['create', 'serviceaccount', 'mallory', '-n', NS]);
    await plane.kubectlOk(['create', 'rolebinding', 'mallory-edit', '-n', NS, '--clusterrole=system:aggregate-to-edit', `--serviceaccount=${NS}:mallory`]);
    await plane.kubectlOk(['create', 'rolebinding', 'mallory-view', '-n', NS, '--clusterrole=system:aggregate-to-view', `--serviceaccount=${NS}:mallory`]);
    cfg.mallory = await mintedKubeconfig(plane, NS, 'mallory');
    // intruder: a ServiceAccount of its own that may do everything with ConfigMaps here.
    await plane.kubectlOk(['create', 'serviceaccount', 'intruder', '-n', NS]);
    await plane.kubectlOk(['create', 'role', 'cm-all', '-n', NS, '--verb=get,list,watch,create,update,patch,delete,deletecollection', '--resource=configmaps']);
    await plane.kubectlOk(['create', 'rolebinding', 'intruder', '-n', NS, '--role=cm-all', `--serviceaccount=${NS}:intruder`]);
    cfg.intruder = await mintedKubeconfig(plane, NS, 'intruder');
    for (const ns of [NS, RELEASE_NS]) await seed(ns);
    // Flink's token for the stale-negative test, ready beforehand so that its write follows the dry run at once.
    cfg[`flink-${STALE_NS}`] = await podBoundKubeconfig(plane, STALE_NS, 'flink', 'demo-jobmanager-0');
    // serve labels the namespaces holding HA state: their deletion and release go to the fail-closed entry.
    for (const ns of [NS, RELEASE_NS]) await labelled(ns);
  });
  after(async () => {
    await e2e?.stop();
  });

  it('a CD ServiceAccount that may patch and delete namespaces cannot release one holding HA state, nor delete it; an admin can', async () => {
    const haBefore = await storedHa(RELEASE_NS);
    const nsBefore = await storedNs(RELEASE_NS);
    assertDenied(await as('deployer', ['annotate', 'namespace', RELEASE_NS, `${RELEASE}=cleanup by CD`]), /\[protect-namespace\] ServiceAccount cd\/deployer may not set, change or remove flink-ha\.io\/release on namespace doors-release/);
    assertDenied(await as('deployer', ['patch', 'namespace', RELEASE_NS, '--type=merge', '-p', JSON.stringify({ metadata: { annotations: { [RELEASE]: 'x' } } })]), /\[protect-namespace\]/);
    assertDenied(await as('deployer', ['delete', 'namespace', RELEASE_NS, '--wait=false']), /\[protect-namespace\] namespace doors-release still holds Flink HA ConfigMaps/);
    assert.equal(await storedNs(RELEASE_NS), nsBefore, 'the namespace is as it was (no annotation, same resourceVersion, not terminating)');
    assert.equal(await storedHa(RELEASE_NS), haBefore, 'the HA ConfigMaps are exactly what Flink wrote');

    // A cluster admin's release passes, and the namespace controller then empties the namespace.
    await e2e.plane.kubectlOk(['annotate', 'namespace', RELEASE_NS, `${RELEASE}=decommissioned, TICKET-19`]);
    const del = await as('deployer', ['delete', 'namespace', RELEASE_NS, '--wait=false']);
    assert.equal(del.code, 0, `a released namespace is deletable: ${del.stderr}`);
    await waitFor(`namespace ${RELEASE_NS} to be emptied and removed`, async () => (await e2e.plane.kubectl(['get', 'namespace', RELEASE_NS])).code !== 0 || undefined, { timeoutMs: 90_000 });
  });

  it('the release of a namespace not (yet) holding HA state goes to the webhook too: a CD ServiceAccount may not set it, nor create a namespace with it', async () => {
    const before = await storedNs(EMPTY_NS);
    assert.equal(JSON.parse(before).labels[LABEL], undefined, `${EMPTY_NS} is not labelled`);
    assertDenied(await as('deployer', ['annotate', 'namespace', EMPTY_NS, `${RELEASE}=pre-released`]), /\[protect-namespace\] ServiceAccount cd\/deployer may not set/);
    assert.equal(await storedNs(EMPTY_NS), before, 'the namespace is as it was');
    const planted = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doors-prereleased', annotations: { [RELEASE]: 'pre-released' } } });
    assertDenied(await as('deployer', ['create', '-f', '-'], planted), /\[protect-namespace\]/);
    assert.notEqual((await e2e.plane.kubectl(['get', 'namespace', 'doors-prereleased'])).code, 0, 'no namespace was created');
    // Its other writes are none of the webhook's business.
    const r = await as('deployer', ['label', 'namespace', EMPTY_NS, 'team=payments']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('an edit user cannot add labels that change who reads HA state, nor bloat it; the allow-listed annotation within the bound passes', async () => {
    const before = await storedHa(NS);
    const patch = (body: unknown) => as('mallory', ['-n', NS, 'patch', 'configmap', JOB_CM, '--type=merge', '-p', JSON.stringify(body)]);
    assertDenied(await patch({ metadata: { labels: { component: 'autoscaler' } } }), /\[no-ha-data-strip\] .*added \/metadata\/labels\/component/);
    assert.equal(await storedHa(NS), before, 'component=autoscaler: untouched');
    assertDenied(await patch({ metadata: { labels: { 'velero.io/exclude-from-backup': 'true' } } }), /\[no-ha-data-strip\] .*velero\.io~1exclude-from-backup/);
    assert.equal(await storedHa(NS), before, 'velero.io/exclude-from-backup: untouched');
    const bloat = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`bloat-${String(i).padStart(4, '0')}`, 'x'.repeat(40)]));
    assertDenied(await patch({ metadata: { labels: bloat } }), /\[no-ha-data-strip\] .*and 1996 more/);
    assert.equal(await storedHa(NS), before, '2,000 labels: untouched');
    assertDenied(await patch({ metadata: { annotations: { 'kubernetes.io/description': 'x'.repeat(5000) } } }), /\[no-ha-data-strip\] .*\(the bound is 4096\)/);
    assert.equal(await storedHa(NS), before, 'an allow-listed annotation past the bound: untouched');

    const ok = await patch({ metadata: { annotations: { 'kubernetes.io/description': 'orders ETL, team payments' } } });
    assert.equal(ok.code, 0, ok.stderr);
    const after = JSON.parse(await storedHa(NS)) as Array<Record<string, any>>;
    const was = JSON.parse(before) as Array<Record<string, any>>;
    const job = after.find((cm) => cm.name === JOB_CM)!;
    assert.equal(job.annotations['kubernetes.io/description'], 'orders ETL, team payments');
    const { resourceVersion: _rv, annotations: _a, ...rest } = job;
    const { resourceVersion: _rv0, annotations: _a0, ...restBefore } = was.find((cm) => cm.name === JOB_CM)!;
    assert.deepEqual(rest, restBefore, 'nothing else of the job ConfigMap changed');
    assert.deepEqual(after.find((cm) => cm.name === CLUSTER_CM), was.find((cm) => cm.name === CLUSTER_CM), 'the cluster ConfigMap is untouched');
  });

  it('ConfigMaps planted under the names Flink\'s HA will use are denied, whatever they hold; db-config-map is still creatable', async () => {
    const before = await storedHa(NS);
    const names = ['demo2-cluster-config-map', 'demo-0123456789abcdef0123456789abcdef-config-map'];
    const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: CLUSTER_CM, uid: '6f1c2d8e-0000-4000-8000-00000000000b' };
    for (const name of names) {
      const plants: Array<[string, Record<string, unknown>, RegExp]> = [
        ['empty', {}, /\[no-ha-data-strip\] ServiceAccount doors\/intruder may not create HA ConfigMap doors\//],
        ['immutable', { immutable: true }, /\[no-ha-data-strip\]/],
        ['with an ownerReference', { metadata: { ownerReferences: [owner] } }, /\[no-owner-reference\]/],
      ];
      for (const [what, extra, rule] of plants) {
        const cm = { apiVersion: 'v1', kind: 'ConfigMap', ...extra, metadata: { name, ...(extra.metadata as object | undefined) } };
        assertDenied(await as('intruder', ['-n', NS, 'create', '-f', '-'], JSON.stringify(cm)), rule);
        assert.notEqual((await e2e.plane.kubectl(['-n', NS, 'get', 'configmap', name])).code, 0, `${what} ${name}: nothing was created`);
      }
    }
    for (const name of ['db-config-map', 'app-cluster-config']) {
      const r = await as('intruder', ['-n', NS, 'create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, immutable: true, data: { address: 'db:5432' } }));
      assert.equal(r.code, 0, `${name} is an ordinary ConfigMap: ${r.stderr}`);
    }
    assert.equal(await storedHa(NS), before, 'the HA ConfigMaps are exactly what they were');
  });

  it('a dry-run delete that found no HA state does not let the real delete through after Flink wrote some', async () => {
    const dry = await e2e.plane.kubectl(['delete', 'namespace', STALE_NS, '--dry-run=server']);
    assert.equal(dry.code, 0, `no HA state yet: the dry run passes: ${dry.stderr}`);
    await seed(STALE_NS);
    const haBefore = await storedHa(STALE_NS);
    assertDenied(await e2e.plane.kubectl(['delete', 'namespace', STALE_NS, '--wait=false']), /\[protect-namespace\] namespace doors-stale still holds Flink HA ConfigMaps/);
    const ns = JSON.parse(await storedNs(STALE_NS)) as { deletionTimestamp?: string; phase: string };
    assert.equal(ns.deletionTimestamp, undefined, 'the namespace never started terminating');
    assert.equal(ns.phase, 'Active');
    assert.equal(await storedHa(STALE_NS), haBefore, 'the HA ConfigMaps are exactly what Flink wrote');
  });
});
