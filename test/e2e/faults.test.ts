// Faults, with the real API server honouring the failure policies of manifests/: with the webhook down, Flink's
// own leader renewals still succeed (they never reach the webhook) while a person's deletion of HA state is
// refused (fail closed) and ordinary workloads are admitted (fail open); and a restart of the webhook under a
// stream of admission requests shows the API server no failure outside those policies.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFlinkNamespace, podBoundKubeconfig, serviceAccount, startE2E, type E2E, type KubectlResult } from './harness/index.ts';
import { waitFor } from './harness/processes.ts';

const NS = 'faults';
const FLINK = serviceAccount(NS, 'flink');
const HA_FIXTURE = join(import.meta.dirname, 'fixtures', 'ha-configmaps.yaml');
const LEADER_CM = 'demo-cluster-config-map';
const SESSION = join(import.meta.dirname, 'fixtures', 'session-cluster.yaml');

/** A leader renewal as Flink's fabric8 ConfigMapLock writes it: the leader annotation with a new renewTime. */
function renewal(n: number): string {
  const leader = { holderIdentity: 'jm-0', leaseDuration: 15, renewTime: new Date(Date.now() + n).toISOString(), leaderTransitions: 0 };
  return JSON.stringify({ metadata: { annotations: { 'control-plane.alpha.kubernetes.io/leader': JSON.stringify(leader) } } });
}

describe('faults: the webhook down or restarting', () => {
  let e2e: E2E;
  let flinkPod = '';
  // Flink acts with its pod's own token (what makes it an owner); anyone else by impersonation.
  const kubectl = (args: string[], as?: string, input?: string) =>
    e2e.plane.kubectl(['-n', NS, ...args], { ...(as === FLINK ? { kubeconfig: flinkPod } : as ? { as } : {}), ...(input !== undefined ? { input } : {}) });

  before(async () => {
    e2e = await startE2E();
    await createFlinkNamespace(e2e.plane, NS);
    flinkPod = await podBoundKubeconfig(e2e.plane, NS, 'flink');
    const r = await kubectl(['apply', '--server-side', '--field-manager=flink', '-f', HA_FIXTURE], FLINK);
    assert.equal(r.code, 0, r.stderr);
    // serve notices the HA ConfigMaps and labels the namespace, which puts its deletion under the fail-closed webhook.
    await waitForLabel(NS, 'true');
  });
  const waitForLabel = async (ns: string, value: string | undefined) => {
    const jsonpath = "jsonpath={.metadata.labels['flink-ha\\.io/ha-state']}";
    await waitFor(`namespace ${ns} labelled flink-ha.io/ha-state=${value ?? '(none)'}`, async () => {
      const got = (await e2e.plane.kubectlOk(['get', 'namespace', ns, '-o', jsonpath])).trim();
      return got === (value ?? '') ? true : undefined;
    }, { timeoutMs: 30_000 });
  };
  after(async () => {
    await e2e?.stop();
  });

  it('webhook stopped: leader renewals succeed, deleting HA state is refused, other workloads are admitted', async () => {
    await e2e.webhook.stop();
    try {
      for (let n = 0; n < 5; n++) {
        const renewed = await kubectl(['patch', 'configmap', LEADER_CM, '--type=merge', '-p', renewal(n)], FLINK);
        assert.equal(renewed.code, 0, `leader renewal ${n} with the webhook down: ${renewed.stderr}`);
      }
      const deleted = await kubectl(['delete', 'configmap', LEADER_CM]);
      assert.notEqual(deleted.code, 0, 'fail closed');
      assert.match(deleted.stderr, /failed calling webhook "ha-configmaps\.flink-ha\.io"/);
      assert.equal((await kubectl(['get', 'configmap', LEADER_CM])).code, 0, 'the HA ConfigMap is still there');
      const namespace = await e2e.plane.kubectl(['delete', 'namespace', NS]);
      assert.notEqual(namespace.code, 0, 'namespace deletion fails closed too');
      assert.match(namespace.stderr, /failed calling webhook "namespaces\.flink-ha\.io"/);
      // A namespace without HA state is not labelled: the outage does not block its deletion.
      await e2e.plane.kubectlOk(['create', 'namespace', 'no-flink-here']);
      const plain = await e2e.plane.kubectl(['delete', 'namespace', 'no-flink-here', '--wait=false']);
      assert.equal(plain.code, 0, plain.stderr);
      // Flink's own cleanup (an owner's DELETE) is decided too since issue 19: only the webhook can check that the
      // pod its token names is real (impersonated user extras name made-up ones), so it fails closed with the rest.
      const cleanup = await kubectl(['delete', 'configmap', 'demo-00000000000000000000000000000001-config-map'], FLINK);
      assert.notEqual(cleanup.code, 0, 'an owner\'s DELETE fails closed while the webhook is down');
      assert.match(cleanup.stderr, /failed calling webhook "ha-configmaps\.flink-ha\.io"/, cleanup.stderr);
      // The webhook's own namespace is excluded, so uninstalling never waits on the webhook it removes.
      const own = await e2e.plane.kubectl(['delete', 'namespace', 'flink-ha-webhook', '--wait=false']);
      assert.equal(own.code, 0, own.stderr);
      // The namespace controller really removes it, and with it the Lease of the webhook's namespace labeler:
      // install it again, as after an uninstall, so that the rest of the file runs against an installed webhook.
      await waitFor('the namespace flink-ha-webhook to be gone', async () => {
        const r = await e2e.plane.kubectl(['get', 'namespace', 'flink-ha-webhook']);
        return /NotFound/.test(r.stderr) ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 300 });
      await e2e.plane.kubectlOk(['create', 'namespace', 'flink-ha-webhook']);
      // Fail open: a Flink workload is admitted as it is (the mutation catches up on its next update).
      const workload = await kubectl(['apply', '--dry-run=server', '-f', SESSION]);
      assert.equal(workload.code, 0, workload.stderr);
    } finally {
      await e2e.webhook.start();
    }
    // Back up: the same deletion is now decided by the webhook (denied with the rule, not by the outage).
    const decided = await kubectl(['delete', 'configmap', LEADER_CM]);
    assert.notEqual(decided.code, 0);
    assert.match(decided.stderr, /\[protect-ha-configmap\]/);
  });

  it('a restart under a stream of admission requests: no failure outside the configured policy', async (t) => {
    type Outcome = { stream: string; result: KubectlResult };
    const outcomes: Outcome[] = [];
    let running = true;
    const stream = async (name: string, request: (n: number) => Promise<KubectlResult>) => {
      for (let n = 0; running && n < 2000; n++) outcomes.push({ stream: name, result: await request(n) });
    };
    const streams = Promise.all([
      // failurePolicy Ignore (mutating + workloads): must always be admitted.
      stream('workload', () => kubectl(['apply', '--dry-run=server', '-f', SESSION])),
      // Skipped by matchConditions: must always succeed.
      stream('renewal', (n) => kubectl(['patch', 'configmap', LEADER_CM, '--type=merge', '-p', renewal(n)], FLINK)),
      // failurePolicy Fail: must never succeed; refused by the rule or, while the webhook is away, by the policy.
      stream('delete', () => kubectl(['delete', 'configmap', LEADER_CM, '--dry-run=server'])),
    ]);
    try {
      await sleep(1500);
      await e2e.webhook.stop(); // SIGTERM: readiness fails, in-flight reviews finish
      await sleep(1000);
      await e2e.webhook.start();
      await sleep(1500);
    } finally {
      running = false;
      await streams;
    }

    const by = (name: string) => outcomes.filter((o) => o.stream === name).map((o) => o.result);
    for (const r of by('workload')) assert.equal(r.code, 0, `fail-open request failed: ${r.stderr}`);
    for (const r of by('renewal')) assert.equal(r.code, 0, `leader renewal failed: ${r.stderr}`);
    let refusedByOutage = 0;
    for (const r of by('delete')) {
      assert.notEqual(r.code, 0, 'an HA ConfigMap deletion was let through');
      if (/failed calling webhook "ha-configmaps\.flink-ha\.io"/.test(r.stderr)) refusedByOutage++;
      else assert.match(r.stderr, /\[protect-ha-configmap\]/, r.stderr);
    }
    t.diagnostic(
      `requests: ${by('workload').length} workload, ${by('renewal').length} renewal, ${by('delete').length} delete ` +
        `(${refusedByOutage} refused by failurePolicy Fail while the webhook was away)`,
    );
    assert.ok(by('delete').length - refusedByOutage > 0, 'the webhook decided deletions before and after the restart');
    assert.equal((await kubectl(['get', 'configmap', LEADER_CM])).code, 0, 'the HA ConfigMap is still there');
  });

  it('the namespace label follows the HA state: not removable by a person while it holds HA ConfigMaps, gone once Flink cleaned up', async () => {
    const unlabel = await e2e.plane.kubectl(['label', 'namespace', NS, 'flink-ha.io/ha-state-']);
    assert.notEqual(unlabel.code, 0, 'a person may not take the label off');
    assert.match(unlabel.stderr, /\[protect-namespace\]/);
    const cleanup = await kubectl(['delete', 'configmap', '-l', 'type=flink-native-kubernetes,app=demo'], FLINK);
    assert.equal(cleanup.code, 0, cleanup.stderr);
    await waitForLabel(NS, undefined);
    // Now, with the webhook down, the namespace deletes like any other.
    await e2e.webhook.stop();
    try {
      const deleted = await e2e.plane.kubectl(['delete', 'namespace', NS, '--wait=false']);
      assert.equal(deleted.code, 0, deleted.stderr);
    } finally {
      await e2e.webhook.start();
    }
  });
});
