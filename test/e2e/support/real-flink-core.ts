// The core real-Flink scenario, run once per Flink version (real-flink-1.20.test.ts, real-flink-2.3.test.ts):
// a JobManager and a TaskManager with Kubernetes HA against the test API server, the webhook registered. Flink
// writes its HA ConfigMaps itself; a person's destructive kubectl is denied while the job keeps checkpointing; a
// SIGKILLed JobManager's successor resumes from the last completed checkpoint; without the webhook the same
// deletion makes the job start from scratch; and Flink's own cleanup on cancel is allowed by the webhook.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { haConfigMapClusterId } from '../../../src/flink/ha-configmap.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';
import {
  createFlinkNamespace,
  registerWebhooks,
  startE2E,
  unregisterWebhooks,
  webhookCallCounts,
  type E2E,
} from '../harness/index.ts';
import {
  cancelJob,
  checkpoints,
  ensureFlink,
  getConfigMap,
  haConfigMaps,
  latestCheckpointPointer,
  leaderRecordOf,
  numRestarts,
  podBoundKubeconfig,
  startFlinkCluster,
  waitForCheckpointAfter,
  waitForRunningJob,
  type FlinkCluster,
  type JobManager,
} from '../harness/flink.ts';
import { configMapTraffic, HA_WEBHOOK } from './real-flink-traffic.ts';

export function realFlinkCoreSuite(version: string): void {
  const NS = 'flink-real';
  const CLUSTER_ID = `ha-${version.replace(/\./g, '-')}`;
  const CLUSTER_CM = `${CLUSTER_ID}-cluster-config-map`;
  const FLINK_1 = version.startsWith('1.');
  const BY_LABELS = `type=flink-native-kubernetes,app=${CLUSTER_ID}`;

  describe(`real Flink ${version} with Kubernetes HA on the real API server, guarded by the webhook`, () => {
    let e2e: E2E;
    let flink: FlinkCluster;
    let jm: JobManager;
    let jobId: string;
    const jobCm = () => `${CLUSTER_ID}-${jobId}-config-map`;
    const kubectl = (args: string[]) => e2e.plane.kubectl(['-n', NS, ...args]);

    before(async () => {
      const build = await ensureFlink(version);
      e2e = await startE2E();
      await createFlinkNamespace(e2e.plane, NS);
      const kubeconfig = await podBoundKubeconfig(e2e.plane, {
        namespace: NS,
        serviceAccount: 'flink',
        pod: `${CLUSTER_ID}-jobmanager`,
        file: join(e2e.plane.dir, `${CLUSTER_ID}.kubeconfig`),
      });
      flink = startFlinkCluster(e2e.plane, { build, namespace: NS, clusterId: CLUSTER_ID, kubeconfig });
      jm = await flink.startJobManager();
      flink.startTaskManager();
      jobId = await waitForRunningJob(jm);
      await waitForCheckpointAfter(jm, jobId, 1);
    });
    after(async () => {
      await flink?.stop();
      await e2e?.stop();
    });

    it('Flink creates its HA ConfigMaps through the API server; the policy recognises each one', async (t) => {
      const cms = await haConfigMaps(e2e.plane, NS, CLUSTER_ID);
      const names = cms.map((cm) => cm.metadata.name).sort();
      assert.deepEqual(names, [CLUSTER_CM, jobCm()].sort());
      for (const cm of cms) {
        assert.equal(haConfigMapClusterId(cm as unknown as KubeObject), CLUSTER_ID, `recognised: ${cm.metadata.name}`);
        // Flink 1.x labels them configmap-type=high-availability too; 2.x dropped that label (the policy
        // recognises them by name pattern + app/type then).
        const expected: Record<string, string> = { app: CLUSTER_ID, type: 'flink-native-kubernetes' };
        if (FLINK_1) expected['configmap-type'] = 'high-availability';
        assert.deepEqual({ ...cm.metadata.labels }, expected);
        assert.equal(cm.metadata.ownerReferences, undefined, 'Flink writes them unowned');
      }
      const cluster = cms.find((cm) => cm.metadata.name === CLUSTER_CM)!;
      const leader = leaderRecordOf(cluster);
      assert.ok(leader?.holderIdentity, 'the leader annotation of fabric8 ConfigMapLock');
      const clusterKeys = Object.keys(cluster.data ?? {});
      // The job graph (1.x) or execution plan (2.x) of the job, and the leader entries of each component.
      assert.ok(clusterKeys.includes(FLINK_1 ? `jobGraph-${jobId}` : `executionPlan-${jobId}`), clusterKeys.join(', '));
      for (const component of ['dispatcher', 'resourcemanager', 'restserver', `job-${jobId}`]) {
        assert.ok(clusterKeys.includes(`org.apache.flink.k8s.leader.${component}`), `leader key of ${component}: ${clusterKeys.join(', ')}`);
      }
      const job = cms.find((cm) => cm.metadata.name === jobCm())!;
      assert.ok(Number(job.data?.counter) > 1, 'checkpoint id counter');
      assert.ok(latestCheckpointPointer(job) !== undefined, 'a checkpointID-<n> pointer');
      t.diagnostic(`cluster ConfigMap keys: ${clusterKeys.join(', ')}`);
      t.diagnostic(`job ConfigMap keys: ${Object.keys(job.data ?? {}).join(', ')}`);
      t.diagnostic(`leader record: ${JSON.stringify(leader)}`);
    });

    it("Flink's ConfigMap writes never reach the webhook (counted by the API server, and by the webhook's log)", async (t) => {
      const traffic = await configMapTraffic(e2e.plane, 15_000);
      t.diagnostic(`in ${traffic.seconds}s: ${JSON.stringify(traffic.verbs)}; webhook calls ${JSON.stringify(traffic.webhookCalls)}`);
      // apiserver_request_total counts HTTP verbs: PUT = update, PATCH = patch, POST = create.
      assert.ok((traffic.verbs.put ?? 0) + (traffic.verbs.patch ?? 0) >= 5, 'Flink renews its leader ConfigMap and writes checkpoint pointers');
      assert.equal(traffic.webhookCalls[HA_WEBHOOK] ?? 0, 0, 'none of them was sent to the HA ConfigMap webhook');
      // Nor was anything of Flink's since it started (its creates included): the webhook logged no review of it.
      const reviews = reviewsOf(e2e.webhook.log());
      assert.ok(reviews.length > 0, 'the log holds reviews (the registration probes)');
      assert.deepEqual(reviews.filter((r) => r.user === `system:serviceaccount:${NS}:flink`), []);
    });

    it("a person's destructive kubectl on the HA ConfigMaps is denied; the job keeps running and checkpointing", async () => {
      const restartsBefore = await numRestarts(jm, jobId);
      const stale = (await getConfigMap(e2e.plane, NS, jobCm()))!;
      const checkpointBefore = (await checkpoints(jm, jobId)).latestCompleted ?? 0;
      await waitForCheckpointAfter(jm, jobId, checkpointBefore + 1); // the copy is now out of date

      for (const name of [CLUSTER_CM, jobCm()]) {
        const r = await kubectl(['delete', 'configmap', name]);
        assert.notEqual(r.code, 0, `delete ${name}`);
        assert.match(r.stderr, /denied the request: .*\[protect-ha-configmap\]/);
      }
      // configmap-type=high-availability selects Flink 1.x's HA ConfigMaps only; type+app (what the operator
      // deletes by) selects every version's.
      for (const selector of [...(FLINK_1 ? ['configmap-type=high-availability'] : []), BY_LABELS]) {
        const bySelector = await kubectl(['delete', 'configmap', '-l', selector]);
        assert.notEqual(bySelector.code, 0, selector);
        for (const name of [CLUSTER_CM, jobCm()]) assert.match(bySelector.stderr, new RegExp(`${name}: \\[protect-ha-configmap\\]`));
      }

      const owner = JSON.stringify({
        metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'flink-jobmanager', uid: '6f1c2d8e-0000-4000-8000-000000000010' }] },
      });
      const owned = await kubectl(['patch', 'configmap', CLUSTER_CM, '--type=merge', '-p', owner]);
      assert.notEqual(owned.code, 0);
      assert.match(owned.stderr, /\[no-owner-reference\]/);

      // A stale apply: the job's ConfigMap as it was some checkpoints ago (what a copy in git would hold).
      const { name, namespace, labels, annotations } = stale.metadata;
      const staleCopy = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels, annotations }, data: stale.data };
      const stalely = await e2e.plane.kubectl(['apply', '-n', NS, '-f', '-'], { input: JSON.stringify(staleCopy) });
      assert.notEqual(stalely.code, 0, stalely.stdout);
      assert.match(stalely.stderr, /\[no-ha-data-strip\]/);

      // Deleting the namespace would take all of it (server-side dry run: the webhook decides as for real).
      const nsDelete = await e2e.plane.kubectl(['delete', 'namespace', NS, '--dry-run=server']);
      assert.notEqual(nsDelete.code, 0, nsDelete.stdout);
      assert.match(nsDelete.stderr, /\[protect-namespace\]/);

      // Everything is still there, Flink still owns it, and the job did not notice.
      assert.deepEqual((await haConfigMaps(e2e.plane, NS, CLUSTER_ID)).map((cm) => cm.metadata.name).sort(), [CLUSTER_CM, jobCm()].sort());
      const later = await waitForCheckpointAfter(jm, jobId, checkpointBefore + 3);
      assert.ok(later > checkpointBefore + 3, 'the checkpoint counter keeps rising');
      assert.ok(latestCheckpointPointer(await getConfigMap(e2e.plane, NS, jobCm()))! >= later, 'and its pointers advance');
      assert.equal(await numRestarts(jm, jobId), restartsBefore, 'no job restart');
      assert.equal((await checkpoints(jm, jobId)).restored, 0, 'nothing was restored');
    });

    it('SIGKILL the JobManager, start a new one with the same cluster-id: the job resumes from the last completed checkpoint', async (t) => {
      await waitForCheckpointAfter(jm, jobId, (await checkpoints(jm, jobId)).latestCompleted ?? 0);
      const lastSeen = (await checkpoints(jm, jobId)).latestCompleted!;
      await flink.kill(jm);
      // A checkpoint is completed once its pointer is in the HA ConfigMap: that is the one to resume from.
      const lastCompleted = latestCheckpointPointer(await getConfigMap(e2e.plane, NS, jobCm()))!;
      assert.ok(lastCompleted >= lastSeen, `pointer ${lastCompleted} >= ${lastSeen} seen on REST before the kill`);

      const started = Date.now();
      jm = await flink.startJobManager();
      const resumed = await waitForRunningJob(jm);
      assert.equal(resumed, jobId, 'the same job (recovered, not submitted anew)');
      const stats = await checkpoints(jm, jobId);
      t.diagnostic(`recovered in ${((Date.now() - started) / 1000).toFixed(1)}s: ${JSON.stringify(stats)}`);
      assert.equal(stats.latestRestored, lastCompleted, 'restored from the last checkpoint completed before the kill');
      assert.ok(stats.restored >= 1, `the job restored from a checkpoint at least once: ${JSON.stringify(stats)}`);
      assert.ok((await waitForCheckpointAfter(jm, jobId, lastCompleted)) > lastCompleted, 'and checkpoints continue from there');
    });

    it('the same crash with the webhook absent and the HA ConfigMaps deleted first: the job starts from scratch', async () => {
      await unregisterWebhooks(e2e.plane);
      await e2e.webhook.stop();
      const lastCompleted = await waitForCheckpointAfter(jm, jobId, (await checkpoints(jm, jobId)).latestCompleted ?? 0);
      await flink.kill(jm);
      // With nothing to stop it, a person deletes the HA state (the API server may take a moment to drop the
      // unregistered webhooks, whose failurePolicy would refuse the deletion while the webhook is down).
      await waitForOk(() => kubectl(['delete', 'configmap', '-l', BY_LABELS]));
      assert.deepEqual(await haConfigMaps(e2e.plane, NS, CLUSTER_ID), []);

      jm = await flink.startJobManager();
      const fresh = await waitForRunningJob(jm);
      const first = await waitForCheckpointAfter(jm, fresh, 0);
      const stats = await checkpoints(jm, fresh);
      assert.equal(stats.latestRestored, undefined, 'nothing restored');
      assert.equal(stats.restored, 0);
      assert.ok(first < lastCompleted, `checkpoint ids start over (${first}) below ${lastCompleted}`);
      jobId = fresh;

      await e2e.webhook.start();
      await registerWebhooks(e2e.plane, e2e.webhook);
    });

    it("cancelling the job (globally terminal): Flink deletes its HA ConfigMaps itself, the webhook allowing it", async (t) => {
      await waitForCheckpointAfter(jm, jobId, 0);
      assert.ok(await getConfigMap(e2e.plane, NS, jobCm()), `the job's HA ConfigMap ${jobCm()} exists before the cancel`);
      const before = (await webhookCallCounts(e2e.plane)).get(HA_WEBHOOK) ?? 0;
      await cancelJob(jm, jobId);
      // Application mode: the cluster shuts down after the job; its JobManager exits on its own.
      await waitForGone(e2e, NS, jobCm());
      await within(jm.process.exited, 60_000, 'the JobManager to exit'); // application mode: the cluster shuts down once its job is terminal
      const left = (await haConfigMaps(e2e.plane, NS, CLUSTER_ID)).map((cm) => cm.metadata.name);
      t.diagnostic(`HA ConfigMaps left after the cluster shut down: ${JSON.stringify(left)}`);
      assert.deepEqual(left, [], 'Flink removed all of its HA state itself');
      // Since issue 19 an owner's DELETE is decided by the webhook (CEL cannot tell a real pod-bound token from
      // impersonated extras; the webhook looks the Pod up): Flink's deletes reach it, and every one is allowed.
      const calls = ((await webhookCallCounts(e2e.plane)).get(HA_WEBHOOK) ?? 0) - before;
      assert.ok(calls > 0, "Flink's DELETEs were decided by the webhook");
      const flinkReviews = reviewsOf(e2e.webhook.log()).filter((r) => r.user === `system:serviceaccount:${NS}:flink`);
      assert.ok(flinkReviews.every((r) => r.operation === 'DELETE' && r.decision === 'allowed'), `only Flink's DELETEs, all allowed: ${JSON.stringify(flinkReviews)}`);
    });
  });
}

async function waitForOk(run: () => Promise<{ code: number; stderr: string }>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await run();
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new Error(`still failing after ${timeoutMs} ms: ${r.stderr}`);
    await sleep(500);
  }
}

async function waitForGone(e2e: E2E, namespace: string, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await getConfigMap(e2e.plane, namespace, name)) !== undefined) {
    if (Date.now() > deadline) throw new Error(`${namespace}/${name} still there after ${timeoutMs} ms`);
    await sleep(500);
  }
}

/** The webhook's "admission review" log lines (pino JSON). */
function reviewsOf(log: string): Array<{ name?: string; operation?: string; user?: string; decision?: string }> {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"admission review"'))
    .map((line) => JSON.parse(line) as { name?: string; operation?: string; user?: string; decision?: string });
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
