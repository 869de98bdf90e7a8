// The HA ConfigMap guards through the real API server's delete paths: by name, by label selector, --all; as a
// person, the garbage collector, a CD tool (denied, data intact) and as the Flink cluster's and the operator's
// ServiceAccounts (allowed); ownerReferences, a stale apply, a namespace deletion, and server-side dry runs.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createFlinkNamespace, serviceAccount, startE2E, type E2E } from './harness/index.ts';

const NS = 'guarded';
const HA_FIXTURE = join(import.meta.dirname, 'fixtures', 'ha-configmaps.yaml');
const CLUSTER_CM = 'demo-cluster-config-map';
const JOB_CM = 'demo-00000000000000000000000000000001-config-map';
const FLINK = serviceAccount(NS, 'flink');
const OPERATOR = serviceAccount('flink-operator-system', 'flink-operator');
const GC = serviceAccount('kube-system', 'generic-garbage-collector');
const CD_TOOL = serviceAccount('argocd', 'argocd-application-controller');

describe('HA ConfigMap guards through the real API server', () => {
  let e2e: E2E;
  const kubectl = (args: string[], as?: string) => e2e.plane.kubectl(['-n', NS, ...args], as ? { as } : {});
  const haData = async (name: string): Promise<Record<string, string> | undefined> => {
    const r = await kubectl(['get', `configmap/${name}`, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { data: Record<string, string> }).data : undefined;
  };
  /** The HA ConfigMaps as Flink writes them (as its own ServiceAccount: the webhook never sees those writes). */
  const restoreHaState = async () => {
    const missing = [];
    for (const name of [CLUSTER_CM, JOB_CM]) if ((await haData(name)) === undefined) missing.push(name);
    if (missing.length > 0) {
      const r = await kubectl(['apply', '--server-side', '--field-manager=flink', '-f', HA_FIXTURE], FLINK);
      assert.equal(r.code, 0, r.stderr);
    }
  };
  const assertHaStateIntact = async () => {
    const job = await haData(JOB_CM);
    assert.ok(job?.['checkpointID-0000000000000000042'], 'checkpoint pointer kept');
    assert.equal(job.counter, '43');
    assert.ok((await haData(CLUSTER_CM))?.['jobGraph-00000000000000000000000000000001'], 'job graph kept');
  };

  before(async () => {
    e2e = await startE2E();
    await createFlinkNamespace(e2e.plane, NS);
    // A CD tool (Argo CD's controller) that may do anything with ConfigMaps, and would prune them.
    await e2e.plane.kubectlOk(['create', 'clusterrole', 'cd-tool', '--verb=*', '--resource=configmaps']);
    await e2e.plane.kubectlOk(['create', 'clusterrolebinding', 'cd-tool', '--clusterrole=cd-tool', `--user=${CD_TOOL}`]);
  });
  after(async () => {
    await e2e?.stop();
  });
  beforeEach(restoreHaState);

  const deniedDeletes: Array<{ who: string; as?: string; args: string[] }> = [
    { who: 'a person', args: ['delete', 'configmap', CLUSTER_CM, JOB_CM] },
    { who: 'a person', args: ['delete', 'configmap', '-l', 'app=demo'] },
    { who: 'a person', args: ['delete', 'configmap', '--all'] },
    { who: "the garbage collector's ServiceAccount", as: GC, args: ['delete', 'configmap', CLUSTER_CM, JOB_CM] },
    { who: "a CD tool's ServiceAccount", as: CD_TOOL, args: ['delete', 'configmap', '--all'] },
    { who: "a CD tool's ServiceAccount", as: CD_TOOL, args: ['delete', 'configmap', '-l', 'app=demo'] },
  ];
  for (const { who, as, args } of deniedDeletes) {
    it(`kubectl ${args.join(' ')} as ${who} is denied and the HA state stays`, async () => {
      const result = await kubectl(args, as);
      assert.notEqual(result.code, 0);
      for (const name of [CLUSTER_CM, JOB_CM]) {
        assert.match(result.stderr, new RegExp(`denied the request: .*${name}: \\[protect-ha-configmap\\]`));
      }
      await assertHaStateIntact();
    });
  }

  it('kubectl delete configmap --all deletes the other ConfigMaps and keeps the HA ones', async () => {
    await e2e.plane.kubectlOk(['create', 'configmap', 'unrelated', '-n', NS, '--from-literal=a=b']);
    const result = await kubectl(['delete', 'configmap', '--all']);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout, /configmap "unrelated" deleted/);
    assert.equal(await haData('unrelated'), undefined);
    await assertHaStateIntact();
  });

  const allowedDeletes: Array<{ who: string; as: string; args: string[] }> = [
    { who: "the Flink cluster's ServiceAccount", as: FLINK, args: ['delete', 'configmap', CLUSTER_CM, JOB_CM] },
    // The operator deletes by the labels type+app, not by name.
    { who: "the operator's ServiceAccount", as: OPERATOR, args: ['delete', 'configmap', '-l', 'type=flink-native-kubernetes,app=demo'] },
  ];
  for (const { who, as, args } of allowedDeletes) {
    it(`kubectl ${args.join(' ')} as ${who} is allowed`, async () => {
      const result = await kubectl(args, as);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await haData(CLUSTER_CM), undefined);
      assert.equal(await haData(JOB_CM), undefined);
    });
  }

  it('adding an ownerReference is denied (the garbage collector would delete the state with its owner)', async () => {
    const patch = JSON.stringify({
      metadata: {
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'flink-jobmanager', uid: '6f1c2d8e-0000-4000-8000-000000000009' }],
      },
    });
    for (const as of [undefined, FLINK]) {
      const result = await kubectl(['patch', 'configmap', CLUSTER_CM, '--type=merge', '-p', patch], as);
      assert.notEqual(result.code, 0, `as ${as ?? 'a person'}`);
      assert.match(result.stderr, /\[no-owner-reference\]/);
    }
    const stored = JSON.parse((await kubectl(['get', 'configmap', CLUSTER_CM, '-o', 'json'])).stdout) as {
      metadata: { ownerReferences?: unknown[] };
    };
    assert.equal(stored.metadata.ownerReferences, undefined);
  });

  it('a stale kubectl apply over the checkpoint keys is denied', async () => {
    const stale = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: JOB_CM,
        labels: { app: 'demo', type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' },
      },
      data: { counter: '1', 'checkpointID-0000000000000000001': 'stale' },
    };
    for (const args of [['apply'], ['apply', '--server-side', '--force-conflicts'], ['replace']]) {
      const result = await e2e.plane.kubectl([...args, '-n', NS, '-f', '-'], { input: JSON.stringify(stale) });
      assert.notEqual(result.code, 0, `kubectl ${args.join(' ')}`);
      assert.match(result.stderr, /\[no-ha-data-strip\]/, `kubectl ${args.join(' ')}`);
    }
    await assertHaStateIntact();
  });

  it("Flink's own writes (leader renewals, checkpoint pointers) go through", async () => {
    const renew = JSON.stringify({ data: { counter: '44', 'checkpointID-0000000000000000043': 'new' } });
    const result = await kubectl(['patch', 'configmap', JOB_CM, '--type=merge', '-p', renew], FLINK);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await haData(JOB_CM))?.counter, '44');
    await kubectl(['delete', 'configmap', JOB_CM], FLINK); // back to the fixture's state for the next test
  });

  it('kubectl delete namespace of a namespace with HA state is denied', async () => {
    const result = await e2e.plane.kubectl(['delete', 'namespace', NS]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /denied the request: .*\[protect-namespace\]/);
    const ns = JSON.parse(await e2e.plane.kubectlOk(['get', 'namespace', NS, '-o', 'json'])) as {
      status: { phase: string };
    };
    assert.equal(ns.status.phase, 'Active');
  });

  it('in a namespace labelled flink-ha.io/mode=warn, a deletion goes through with a warning naming the rule', async () => {
    await createFlinkNamespace(e2e.plane, 'warned', { labels: { 'flink-ha.io/mode': 'warn' } });
    const flink = serviceAccount('warned', 'flink');
    const seeded = await e2e.plane.kubectl(['apply', '-n', 'warned', '--server-side', '-f', HA_FIXTURE], { as: flink });
    assert.equal(seeded.code, 0, seeded.stderr);
    const result = await e2e.plane.kubectl(['delete', '-n', 'warned', 'configmap', CLUSTER_CM]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^Warning: \[protect-ha-configmap\] would deny/m);
  });

  it('kubectl delete --dry-run=server: the same decisions, nothing deleted', async () => {
    const denied = await kubectl(['delete', 'configmap', CLUSTER_CM, '--dry-run=server']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /\[protect-ha-configmap\]/);
    const allowed = await kubectl(['delete', 'configmap', CLUSTER_CM, '--dry-run=server'], FLINK);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /deleted .*\(server dry run\)/);
    const namespace = await e2e.plane.kubectl(['delete', 'namespace', NS, '--dry-run=server']);
    assert.notEqual(namespace.code, 0);
    assert.match(namespace.stderr, /\[protect-namespace\]/);
    await assertHaStateIntact();
  });

  it('kubectl apply --dry-run=server of a stale copy: denied the same way, nothing written', async () => {
    const stale = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: JOB_CM, labels: { app: 'demo', type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } },
      data: { counter: '1' },
    });
    const args = ['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-n', NS, '-f', '-'];
    const result = await e2e.plane.kubectl(args, { input: stale });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /\[no-ha-data-strip\]/);
    await assertHaStateIntact();
  });
});
