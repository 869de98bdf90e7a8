// The whole path, for real (issue 20): the Flink Kubernetes Operator 1.13.0, built from its source release and
// installed with its own Helm chart on the real node, reconciles a FlinkDeployment a person applied without HA
// into Flink Pods (Flink 1.20.1 from Maven Central jars) after the webhook mutated it; Flink writes its HA state
// from its Pods with its own projected token; the front door holds a person's delete, and a released delete lets
// the operator clean the HA state up through the webhook. docs/real-flink-operator.md has the story and figures.
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, startWebhook, registerWebhooks, webhookCallCounts, REPO_ROOT } from './harness/index.ts';
import type { ControlPlane, Webhook } from './harness/index.ts';
import { startNode, type NodeInternals } from './harness/node.ts';
import { ensureOperatorImages, installOperator, startClusterDns, type ClusterDns, type Operator } from './harness/operator.ts';
import { waitFor } from './harness/processes.ts';

const NS = 'team-a';
const FD = 'counter';
const PERSON = 'alice';
const FIXTURES = join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'operator');
const timings: Record<string, number> = {};

let plane: ControlPlane;
let node: NodeInternals;
let dns: ClusterDns;
let webhook: Webhook;
let operator: Operator;
let dataDir: string;
let authErrorsBefore = 0;

async function json(args: string[]): Promise<any> {
  return JSON.parse(await plane.kubectlOk([...args, '-o', 'json']));
}

async function fd(): Promise<any> {
  return json(['get', 'flinkdeployment', FD, '-n', NS]);
}

async function haConfigMaps(): Promise<any[]> {
  return (await json(['get', 'configmaps', '-n', NS, '-l', `app=${FD},configmap-type=high-availability`])).items;
}

/** The JobManager's REST API, at the leader Pod's IP on the bridge (the host may reach the bridge, never a ClusterIP). */
async function jobManagerRest(path: string): Promise<any> {
  const pods = (await json(['get', 'pods', '-n', NS, '-l', `app=${FD},component=jobmanager`])).items
    .filter((p: any) => p.status.phase === 'Running' && p.status.podIP);
  for (const p of pods) {
    const res = await fetch(`http://${p.status.podIP}:8081${path}`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
    if (res?.ok) return res.json();
  }
  throw new Error(`no JobManager answered ${path}`);
}

async function waitJobRunning(what: string, timeoutMs = 300_000): Promise<any> {
  return waitFor(what, async () => {
    const o = await fd();
    // DEPLOYED until the operator has seen the job run long enough to call it STABLE: either is a running job.
    const lifecycle = String(o.status?.lifecycleState);
    return o.status?.jobStatus?.state === 'RUNNING' && ['DEPLOYED', 'STABLE'].includes(lifecycle) ? o : undefined;
  }, { timeoutMs, intervalMs: 2000 });
}

/** The API server's count of requests whose credentials it refused (an expired or unbound token). */
async function failedAuthentications(): Promise<number> {
  const line = (await plane.get('/metrics')).split('\n').find((l) => l.startsWith('authentication_attempts{result="error"}'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function completedCheckpoint(jobId: string, above = 0): Promise<number> {
  return waitFor(`a completed checkpoint above ${above}`, async () => {
    const c = await jobManagerRest(`/jobs/${jobId}/checkpoints`);
    const id = c.latest?.completed?.id;
    return typeof id === 'number' && id > above ? id : undefined;
  }, { timeoutMs: 120_000, intervalMs: 1000 });
}

describe('the Flink Kubernetes Operator on the real node, through the webhook', { timeout: 1_500_000 }, () => {
  before(async () => {
    let t = Date.now();
    await ensureOperatorImages(); // minutes on a new machine; cached afterwards
    timings.imagesMs = Date.now() - t;
    t = Date.now();
    // The operator's chart brings its own CRDs (same source tree); the plane installs none.
    plane = await startControlPlane({ node: true, crds: false });
    node = await startNode(plane);
    dns = await startClusterDns(plane);
    webhook = await startWebhook(plane, { configFile: join(FIXTURES, 'webhook-config.yaml') });
    await registerWebhooks(plane, webhook);
    timings.clusterMs = Date.now() - t;
    // The shared "file system" of this one-node cluster: a hostPath every Flink Pod mounts (uid 9999 is flink).
    dataDir = join(node.dir, 'flink-data');
    mkdirSync(dataDir, { recursive: true });
    chownSync(dataDir, 9999, 9999);
    await plane.kubectlOk(['create', 'namespace', NS]);
    // A person: may do what a team does with its Flink CRs (kubectl as user alice).
    // (a Role object: `kubectl create role` would look the CRDs up, and the operator's chart brings them later)
    await plane.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'flink-user', namespace: NS },
        rules: [{ apiGroups: ['flink.apache.org'], resources: ['flinkdeployments', 'flinksessionjobs'], verbs: ['*'] }],
      }),
    });
    await plane.kubectlOk(['create', 'rolebinding', 'flink-user', '-n', NS, '--role=flink-user', `--user=${PERSON}`]);
    // ...and edits the namespace like any team member (the built-in `edit`: ConfigMaps included).
    await plane.kubectlOk(['create', 'rolebinding', 'edit', '-n', NS, '--clusterrole=edit', `--user=${PERSON}`]);
    t = Date.now();
    operator = await installOperator(plane, node, { watchNamespaces: [NS] });
    timings.operatorInstallMs = Date.now() - t;
  });

  after(async () => {
    process.stdout.write(`# timings ${JSON.stringify(timings)}\n`);
    if (operator) await operator.uninstall().catch(() => undefined);
    if (node) await node.stop();
    if (dns) await dns.stop();
    if (webhook) await webhook.stop();
    if (plane) await plane.stop();
  });

  it('a FlinkDeployment applied without HA comes back mutated, passes the operator, and its job runs', async () => {
    const images = await ensureOperatorImages();
    const manifest = readFileSync(join(FIXTURES, 'counter.yaml'), 'utf8')
      .replaceAll('IMAGE', images.flink.ref).replaceAll('DATA_DIR', dataDir);
    authErrorsBefore = await failedAuthentications();
    const t = Date.now();
    const applied = await plane.kubectl(['apply', '-n', NS, '-f', '-'], { as: PERSON, input: manifest });
    assert.equal(applied.code, 0, `alice's apply: ${applied.stderr}`);
    const stored = await fd();
    const conf = stored.spec.flinkConfiguration;
    assert.equal(conf['high-availability.type'], 'kubernetes', `HA type added: ${JSON.stringify(conf)}`);
    assert.equal(conf['high-availability.storageDir'], `file:///flink-data/ha/${NS}/${FD}`, 'storageDir from the template');
    assert.equal(stored.spec.jobManager.replicas, 2, 'a standby JobManager added');
    const running = await waitJobRunning('the job RUNNING, reconciled by the operator');
    timings.applyToRunningMs = Date.now() - t;
    assert.equal(running.status.error ?? null, null, `no operator error: ${running.status.error}`);
    const jobId = running.status.jobStatus.jobId;
    await completedCheckpoint(jobId);
    const cms = await haConfigMaps();
    const names = cms.map((c) => String(c.metadata.name)).sort().join(", ");
    assert.ok(names.split(", ").includes(`${FD}-cluster-config-map`), `the cluster HA ConfigMap written: ${names}`);
    assert.ok(names.split(", ").includes(`${FD}-${jobId}-config-map`), `the job's HA ConfigMap written: ${names}`);
  });

  it("Flink's and the operator's own writes never reach the webhook", async () => {
    const before = await webhookCallCounts(plane, 'any');
    const cmsBefore = new Map((await haConfigMaps()).map((c) => [c.metadata.name, c.metadata.resourceVersion]));
    await new Promise((r) => setTimeout(r, 20_000));
    const cmsAfter = await haConfigMaps();
    const rewritten = cmsAfter.filter((c) => cmsBefore.has(c.metadata.name) && cmsBefore.get(c.metadata.name) !== c.metadata.resourceVersion);
    assert.ok(rewritten.length >= 2, `Flink renewed its leader and checkpoint ConfigMaps in 20 s (${rewritten.map((c) => String(c.metadata.name)).join(", ")})`);
    const afterCounts = await webhookCallCounts(plane, 'any');
    assert.deepEqual([...afterCounts], [...before], 'no webhook call while Flink and the operator run');
  });

  it('the JobManager Pods killed: the job is RUNNING again from the latest checkpoint, not from scratch', async () => {
    const o = await fd();
    const jobId = String(o.status.jobStatus.jobId);
    await completedCheckpoint(jobId);
    // The highest checkpoint pointer in the job's HA ConfigMap when the JobManagers die: what recovery must use.
    const pointers = async () => Object.keys((await json(['get', 'configmap', `${FD}-${jobId}-config-map`, '-n', NS])).data ?? {})
      .filter((k) => k.startsWith('checkpointID-')).map((k) => Number(k.slice('checkpointID-'.length)));
    const t = Date.now();
    const atKill = Math.max(...(await pointers()));
    await plane.kubectlOk(['delete', 'pods', '-n', NS, '-l', `app=${FD},component=jobmanager`, '--grace-period=1', '--wait=false']);
    const restored = await waitFor('the job restored from a checkpoint by a new JobManager', async () => {
      const c = await jobManagerRest(`/jobs/${jobId}/checkpoints`).catch(() => undefined);
      const id = c?.latest?.restored?.id;
      return typeof id === 'number' ? id : undefined;
    }, { timeoutMs: 240_000, intervalMs: 2000 });
    await waitJobRunning('the job RUNNING again after the JobManager kill');
    timings.jobManagerKillToRunningMs = Date.now() - t;
    assert.ok(restored >= atKill, `restored from checkpoint ${restored}, the highest pointer at the kill was ${atKill}`);
    assert.equal((await fd()).status.jobStatus.jobId, jobId, 'the same job, recovered, not resubmitted');
  });

  it('the webhook down: the operator keeps reconciling, Flink keeps checkpointing, a person\'s HA delete fails closed', async () => {
    const jobId = String((await fd()).status.jobStatus.jobId);
    await webhook.stop();
    try {
      const before = await completedCheckpoint(jobId);
      await completedCheckpoint(jobId, before); // Flink keeps its leadership and checkpoints with no webhook
      const o = await fd();
      assert.equal(o.status.jobStatus.state, 'RUNNING', 'the job keeps running');
      assert.equal(o.status.error ?? null, null, `the operator reports no error: ${o.status.error}`);
      const cm = `${FD}-cluster-config-map`;
      const stored = await json(['get', 'configmap', cm, '-n', NS]);
      const r = await plane.kubectl(['delete', 'configmap', cm, '-n', NS], { as: PERSON });
      assert.notEqual(r.code, 0, "a person's HA ConfigMap delete fails closed with the webhook down");
      assert.match(r.stderr, /failed calling webhook/, `refused because the webhook cannot be asked (not RBAC): ${r.stderr}`);
      const after = await json(['get', 'configmap', cm, '-n', NS]);
      assert.equal(after.metadata.uid, stored.metadata.uid, 'the HA ConfigMap is still there');
    } finally {
      await webhook.start();
    }
  });

  it("a person's delete is refused, the FlinkDeployment and its job untouched; released, the operator cleans up", async () => {
    const before = await fd();
    const denied = await plane.kubectl(['delete', 'flinkdeployment', FD, '-n', NS, '--wait=false'], { as: PERSON });
    assert.notEqual(denied.code, 0, 'the delete is refused');
    assert.match(denied.stderr, /protect-flink-deployment/, `the denial names the rule: ${denied.stderr}`);
    const afterDenied = await fd();
    assert.equal(afterDenied.metadata.deletionTimestamp, undefined, 'not marked for deletion');
    assert.equal(JSON.stringify(afterDenied.spec), JSON.stringify(before.spec), 'spec byte for byte');
    assert.equal(JSON.stringify(afterDenied.metadata.annotations ?? {}), JSON.stringify(before.metadata.annotations ?? {}), 'annotations unchanged');
    assert.equal(afterDenied.metadata.generation, before.metadata.generation, 'generation unchanged');
    assert.equal(afterDenied.status.jobStatus.state, 'RUNNING', 'the job keeps running');

    // Released by a cluster admin (the test's admin identity), then alice's delete completes.
    await plane.kubectlOk(['annotate', 'flinkdeployment', FD, '-n', NS, 'flink-ha.io/release=decommissioned in the e2e test']);
    const t = Date.now();
    const deleted = await plane.kubectl(['delete', 'flinkdeployment', FD, '-n', NS, '--timeout=180s'], { as: PERSON });
    assert.equal(deleted.code, 0, `the released delete completes: ${deleted.stderr}`);
    timings.deleteMs = Date.now() - t;
    await waitFor('the HA ConfigMaps deleted by the operator', async () => ((await haConfigMaps()).length === 0 ? true : undefined), {
      timeoutMs: 60_000, intervalMs: 1000,
    });
    const log = await operator.log();
    assert.doesNotMatch(log, /GOAWAY/, 'the operator saw no GOAWAY from the API server');
    assert.equal(await failedAuthentications(), authErrorsBefore, 'no request with a refused token (what GOAWAY meant before)');
    assert.doesNotMatch(log, /admission webhook .* denied/, 'no operator write was denied by the webhook');
  });
});
