// Real Flink 1.20.0 (the line most production clusters run) with two JobManagers and Kubernetes HA on the e2e API
// server: leader election keeps renewing while the webhook is up, slow (a delay injected in front of it) and
// stopped, with no leadership change and no job restart; then killing the leader hands over to the standby
// through the HA ConfigMaps, with the webhook in place. Counted from the leader ConfigMap and the REST API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFlinkNamespace, registerWebhooks, startE2E, webhookCallCounts, type E2E } from './harness/index.ts';
import { startDelayProxy, type DelayProxy } from './harness/delay-proxy.ts';
import {
  checkpoints,
  ensureFlink,
  getConfigMap,
  latestCheckpointPointer,
  leaderRecordOf,
  numRestarts,
  podBoundKubeconfig,
  startFlinkCluster,
  TEST_LEADER_ELECTION,
  waitForCheckpointAfter,
  waitForRunningJob,
  type FlinkCluster,
  type JobManager,
  type LeaderRecord,
} from './harness/flink.ts';
import { HA_WEBHOOK } from './support/real-flink-traffic.ts';

const VERSION = '1.20.0';
const NS = 'flink-leader';
const CLUSTER_ID = 'leader';
const CLUSTER_CM = `${CLUSTER_ID}-cluster-config-map`;
const PHASE_MS = 15_000;
const SLOW_MS = 1_500; // two bursts per call (TLS hello, request): about 3 s, inside the webhooks' 5 s timeout
const HANG_MS = 6_000; // beyond it

describe(`real Flink ${VERSION}: leader election with the webhook up, slow and stopped; a standby JobManager takes over`, () => {
  let e2e: E2E;
  let proxy: DelayProxy;
  let flink: FlinkCluster;
  let jobId: string;
  /** Every distinct leader record seen, polled from the leader ConfigMap all through the file. */
  const seen: LeaderRecord[] = [];
  let polling = true;
  let poller: Promise<void> | undefined;

  const clusterCm = () => getConfigMap(e2e.plane, NS, CLUSTER_CM);
  /** The JobManager whose REST address the leader ConfigMap publishes. */
  const leader = async (): Promise<JobManager | undefined> => {
    const address = (await clusterCm())?.data?.['org.apache.flink.k8s.leader.restserver']?.split(',')[1];
    return flink.jobManagers.find((jm) => jm.restUrl === address && jm.process.isRunning());
  };
  const holders = () => [...new Set(seen.map((r) => r.holderIdentity))];

  before(async () => {
    const build = await ensureFlink(VERSION);
    e2e = await startE2E();
    // The webhook configurations point at a delaying proxy in front of the webhook (delay 0 for now).
    proxy = await startDelayProxy(e2e.webhook.port);
    await registerWebhooks(e2e.plane, { ...e2e.webhook, url: proxy.url });
    await createFlinkNamespace(e2e.plane, NS);
    const kubeconfig = await podBoundKubeconfig(e2e.plane, {
      namespace: NS,
      serviceAccount: 'flink',
      pod: `${CLUSTER_ID}-jobmanager`,
      file: join(e2e.plane.dir, `${CLUSTER_ID}.kubeconfig`),
    });
    flink = startFlinkCluster(e2e.plane, { build, namespace: NS, clusterId: CLUSTER_ID, kubeconfig });
    const first = await flink.startJobManager();
    await flink.startJobManager(); // the standby
    flink.startTaskManager();
    jobId = await waitForRunningJob(first);
    await waitForCheckpointAfter(first, jobId, 1);
    poller = (async () => {
      while (polling) {
        const record = leaderRecordOf(await clusterCm().catch(() => undefined));
        if (record && record.renewTime !== seen.at(-1)?.renewTime) seen.push(record);
        await sleep(500);
      }
    })();
    while (seen.length === 0) await sleep(200); // Flink leads, so its record is there; the first poll has it
  });
  after(async () => {
    polling = false;
    await poller;
    await flink?.stop();
    await proxy?.close();
    await e2e?.stop();
  });

  it('leader election keeps renewing with the webhook up, slow and stopped: no lost leadership, no job restart', async (t) => {
    const jm = (await leader())!;
    assert.ok(jm, 'a leading JobManager');
    const restarts = await numRestarts(jm, jobId);
    const holder = seen.at(-1)!.holderIdentity;
    const transitions = seen.at(-1)!.leaderTransitions;
    type Phase = { name: string; enter: () => Promise<void>; leave: () => Promise<void>; person: RegExp; personAtLeastMs?: number };
    const delayed = (name: string, ms: number, person: RegExp, personAtLeastMs: number): Phase => ({
      name,
      enter: () => Promise.resolve(proxy.setDelay(ms)),
      leave: () => Promise.resolve(proxy.setDelay(0)),
      person,
      personAtLeastMs,
    });
    const refused = /failed calling webhook "ha-configmaps\.flink-ha\.io"/;
    const phases: Phase[] = [
      { name: 'up', enter: async () => {}, leave: async () => {}, person: /\[protect-ha-configmap\]/ },
      // Each burst of bytes (TLS hello, then the request) waits SLOW_MS: answered, seconds late.
      delayed(`slow (+${SLOW_MS} ms per burst)`, SLOW_MS, /\[protect-ha-configmap\]/, SLOW_MS),
      // Longer than the webhooks' timeoutSeconds (5): every call times out, the fail-closed ones refuse.
      delayed(`hanging (+${HANG_MS} ms per burst)`, HANG_MS, refused, 5_000),
      { name: 'stopped', enter: () => e2e.webhook.stop(), leave: () => e2e.webhook.start(), person: refused },
    ];
    for (const phase of phases) {
      await phase.enter();
      try {
        const from = seen.length;
        const calls = (await webhookCallCounts(e2e.plane)).get(HA_WEBHOOK) ?? 0;
        const checkpoint = (await checkpoints(jm, jobId)).latestCompleted ?? 0;
        // A person's deletion in the same phase shows the webhook really is up, slow or stopped for everyone else.
        const t0 = Date.now();
        const person = await e2e.plane.kubectl(['-n', NS, 'delete', 'configmap', CLUSTER_CM]);
        const personMs = Date.now() - t0;
        assert.notEqual(person.code, 0, `${phase.name}: a person's delete`);
        assert.match(person.stderr, phase.person, phase.name);
        if (phase.personAtLeastMs !== undefined) assert.ok(personMs >= phase.personAtLeastMs, `${phase.name}: the delay is real (${personMs} ms)`);
        await sleep(PHASE_MS - personMs);

        const renewals = seen.slice(from);
        t.diagnostic(`${phase.name}: ${renewals.length} renewals in ${PHASE_MS / 1000}s, person's delete answered in ${personMs} ms`);
        // retry-period 2 s: about 7 renewals in 15 s; at least 3 of them, on a busy 2-core machine.
        assert.ok(renewals.length >= 3, `${phase.name}: ${renewals.length} renewals`);
        for (const r of renewals) {
          assert.equal(r.holderIdentity, holder, `${phase.name}: the same leader`);
          assert.equal(r.leaderTransitions, transitions, `${phase.name}: no leader transition`);
        }
        const after = (await webhookCallCounts(e2e.plane)).get(HA_WEBHOOK) ?? 0;
        // At most the person's one delete was answered by the webhook: none of Flink's writes went there.
        assert.ok(after - calls <= 1, `${phase.name}: ${after - calls} calls to ${HA_WEBHOOK}`);
        assert.ok((await waitForCheckpointAfter(jm, jobId, checkpoint + 5)) > checkpoint + 5, `${phase.name}: checkpoints go on`);
      } finally {
        await phase.leave();
      }
    }
    assert.equal(await numRestarts(jm, jobId), restarts, 'no job restart');
    assert.equal((await checkpoints(jm, jobId)).restored, 0, 'nothing restored: the job ran through');
    assert.deepEqual(holders(), [holder], 'one leader all along');
  });

  it('killing the leading JobManager hands over to the standby through the HA ConfigMaps, the webhook in place', async (t) => {
    await registerWebhooks(e2e.plane, { ...e2e.webhook, url: proxy.url }); // called again after the restart
    const old = (await leader())!;
    const standby = flink.jobManagers.find((jm) => jm !== old && jm.process.isRunning())!;
    assert.ok(standby, 'a standby JobManager');
    const before = seen.at(-1)!;
    await waitForCheckpointAfter(old, jobId, (await checkpoints(old, jobId)).latestCompleted ?? 0);
    await flink.kill(old);
    const lastCompleted = latestCheckpointPointer(await getConfigMap(e2e.plane, NS, `${CLUSTER_ID}-${jobId}-config-map`))!;

    const t0 = Date.now();
    await waitForLeader(() => leader(), standby);
    const resumed = await waitForRunningJob(standby);
    t.diagnostic(`standby leads and runs the job ${((Date.now() - t0) / 1000).toFixed(1)}s after the kill (lease ${TEST_LEADER_ELECTION.leaseDuration})`);
    assert.equal(resumed, jobId);
    const stats = await checkpoints(standby, jobId);
    assert.equal(stats.latestRestored, lastCompleted, 'resumed from the last completed checkpoint');
    assert.ok((await waitForCheckpointAfter(standby, jobId, lastCompleted)) > lastCompleted, `the standby completes a checkpoint after ${lastCompleted}`);

    const now = seen.at(-1)!;
    assert.notEqual(now.holderIdentity, before.holderIdentity, 'a new lock holder');
    assert.equal(now.leaderTransitions, before.leaderTransitions + 1, 'exactly one leader transition');
    assert.equal(holders().length, 2, 'two leaders in the whole file: the first and the standby');
    const cm = (await clusterCm())!;
    assert.equal(cm.metadata.ownerReferences, undefined);
  });
});

async function waitForLeader(current: () => Promise<JobManager | undefined>, want: JobManager, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await current()) !== want) {
    if (!want.process.isRunning()) throw new Error(`${want.name} exited`);
    if (Date.now() > deadline) throw new Error(`${want.name} did not become leader in ${timeoutMs} ms`);
    await sleep(500);
  }
}
