// Issue 19, the identity doors, through the real API server. Route 4: a principal allowed to impersonate
// ServiceAccounts and user extras (what CD controllers often hold) claims to be Flink's pod-bound token with a
// made-up pod; the webhook checks the Pod. Route 7: a rogue JobManager claims to be the operator's with a mark a
// user can write, to run another cluster's cluster-id. And a JobManager created over leftover HA state is warned
// about with the job and checkpoint it resumes (FLINK-30004). After every refusal the stored state is unchanged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import {
  createFlinkNamespace, E2E_CONFIG_FILE, mintedKubeconfig, podBoundKubeconfig, REPO_ROOT, serviceAccount, startE2E, webhookCallCounts,
  type E2E, type KubectlResult,
} from './harness/index.ts';

const NS = 'doors';
const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const CLUSTER_CM = 'demo-cluster-config-map';
const JOB_CM = 'demo-00000000000000000000000000000001-config-map';
const FLINK_POD = 'demo-jobmanager-0';
const POD_NAME = 'authentication.kubernetes.io/pod-name';
const POD_UID = 'authentication.kubernetes.io/pod-uid';
const GENERATION = 'flinkdeployment.flink.apache.org/generation';

describe('issue 19: identity doors to HA state, through the real API server', () => {
  let e2e: E2E;
  const cfg: Record<string, string> = {};
  let flinkWrote = '';
  let flinkPodUid = '';

  /** The stored HA ConfigMaps of cluster demo: data, marks and resourceVersions. */
  const stored = async (): Promise<string> => {
    const out = await e2e.plane.kubectlOk(['get', 'configmap', CLUSTER_CM, JOB_CM, '-n', NS, '-o', 'json']);
    const items = (JSON.parse(out) as { items: Array<Record<string, any>> }).items;
    return JSON.stringify(items.map((cm) => ({
      name: cm.metadata.name, resourceVersion: cm.metadata.resourceVersion, data: cm.data, binaryData: cm.binaryData,
      labels: cm.metadata.labels, annotations: cm.metadata.annotations, ownerReferences: cm.metadata.ownerReferences,
    })), null, 1);
  };
  const assertUntouched = async () => assert.equal(await stored(), flinkWrote, 'the HA ConfigMaps are byte for byte what Flink wrote (same resourceVersions)');
  const assertDenied = (r: KubectlResult, rule: RegExp) => {
    assert.notEqual(r.code, 0, `the request went through: ${r.stdout}`);
    assert.match(r.stderr, rule, `the refusal: ${r.stderr}`);
  };
  /** The impersonator, claiming to be Flink's pod-bound token with these user extras. */
  const asFlinkWith = (extras: Record<string, string>, args: string[]): Promise<KubectlResult> =>
    e2e.plane.kubectl(['-n', NS, ...Object.entries(extras).map(([k, v]) => `--as-user-extra=${k}=${v}`), ...args],
      { kubeconfig: cfg.impersonator!, as: serviceAccount(NS, 'flink') });

  before(async () => {
    e2e = await startE2E();
    const { plane } = e2e;
    await createFlinkNamespace(plane, NS);
    // The impersonator: impersonate on serviceaccounts and on the two pod extras, as a CD controller's `*` grants.
    await plane.kubectlOk(['create', 'serviceaccount', 'impersonator', '-n', NS]);
    await plane.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'impersonate-pod-extras' }, rules: [
          { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
          { apiGroups: ['authentication.k8s.io'], resources: [`userextras/${POD_NAME}`, `userextras/${POD_UID}`], verbs: ['impersonate'] },
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
        ] },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'impersonate-pod-extras' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'impersonate-pod-extras' },
          subjects: [{ kind: 'ServiceAccount', name: 'impersonator', namespace: NS }] },
      ] }),
    });
    cfg.impersonator = await mintedKubeconfig(plane, NS, 'impersonator');
    cfg.flink = await podBoundKubeconfig(plane, NS, 'flink', FLINK_POD);
    flinkPodUid = (await plane.kubectlOk(['get', 'pod', FLINK_POD, '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).trim();
    // Flink writes its HA state with its own pod-bound token (these writes skip the webhook).
    const seeded = await plane.kubectl(['-n', NS, 'apply', '--server-side', '--field-manager=flink', '-f', '-'], { kubeconfig: cfg.flink, input: fixture('ha-configmaps.yaml') });
    assert.equal(seeded.code, 0, seeded.stderr);
    flinkWrote = await stored();
  });
  after(async () => {
    await e2e?.stop();
  });

  describe('route 4: impersonated user extras are not a pod-bound token', () => {
    const attempts: Array<{ name: string; extras: () => Record<string, string>; why: RegExp }> = [
      { name: 'a made-up pod', extras: () => ({ [POD_NAME]: 'made-up-pod', [POD_UID]: '6f1c2d8e-0000-4000-8000-0000000000ff' }), why: /made-up-pod, which does not exist/ },
      { name: 'a made-up pod, name only', extras: () => ({ [POD_NAME]: 'made-up-pod' }), why: /no pod uid/ },
      { name: 'Flink\'s real pod with a made-up uid', extras: () => ({ [POD_NAME]: FLINK_POD, [POD_UID]: '6f1c2d8e-0000-4000-8000-0000000000ff' }), why: /but that pod's uid is/ },
      { name: 'a real pod of another ServiceAccount', extras: () => ({ [POD_NAME]: 'impersonator-pod', [POD_UID]: cfg.impersonatorPodUid! }), why: /runs as ServiceAccount impersonator, not flink/ },
    ];
    before(async () => {
      await podBoundKubeconfig(e2e.plane, NS, 'impersonator', 'impersonator-pod');
      cfg.impersonatorPodUid = (await e2e.plane.kubectlOk(['get', 'pod', 'impersonator-pod', '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).trim();
    });
    for (const a of attempts) {
      it(`deleting an HA ConfigMap as flink with ${a.name}: denied, state unchanged`, async () => {
        assertDenied(await asFlinkWith(a.extras(), ['delete', 'configmap', JOB_CM]), a.why);
        assertDenied(await asFlinkWith(a.extras(), ['delete', 'configmap', '-l', 'app=demo']), /\[protect-ha-configmap\]/);
        await assertUntouched();
      });
    }

    it('a collection DELETE of the API as flink with a made-up pod: denied', async () => {
      assertDenied(await asFlinkWith({ [POD_NAME]: 'made-up-pod', [POD_UID]: '6f1c2d8e-0000-4000-8000-0000000000ff' }, ['delete', '--raw', `/api/v1/namespaces/${NS}/configmaps?labelSelector=app%3Ddemo`]), /protect-ha-configmap/);
      await assertUntouched();
    });

    it('audit --cluster reports the impersonator, reading RBAC from the real API server', async () => {
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'flink-ha-webhook.mjs'), 'audit', '--cluster', '-n', NS, '-o', 'json',
          '--kubeconfig', e2e.plane.kubeconfigPath, '--config', E2E_CONFIG_FILE, '--fail-on', 'never'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      assert.equal(r.code, 0, `audit: ${r.stderr}`);
      const findings = (JSON.parse(r.stdout) as { findings: Array<{ rule: string; kind: string; namespace?: string; name: string; message: string }> }).findings
        .filter((f) => f.rule === 'rbac-impersonates-pod-extras');
      assert.deepEqual(findings.map((f) => `${f.kind} ${f.namespace ?? ''}/${f.name}`), [`ServiceAccount ${NS}/impersonator`], 'exactly the impersonator is reported');
      assert.match(findings[0]!.message, /ClusterRoleBinding impersonate-pod-extras/, 'the finding names the binding');
    });

    it('the trust model, shown: with get on pods, impersonating the real pod\'s name AND uid passes as Flink (owner-equivalent right)', async () => {
      const r = await asFlinkWith({ [POD_NAME]: FLINK_POD, [POD_UID]: flinkPodUid }, ['delete', 'configmap', JOB_CM, '--dry-run=server']);
      assert.equal(r.code, 0, `the forged real pod is taken for Flink (README: trust model): ${r.stderr}`);
      await assertUntouched();
    });
  });

  describe('route 7: operator-made is proven, never read from a mark', () => {
    let fdUid = '';
    const jobManager = (name: string, meta: Record<string, unknown>, podLabels: Record<string, string>, clusterId: string) => JSON.stringify({
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name, ...meta, labels: { ...podLabels, ...((meta.labels as Record<string, string> | undefined) ?? {}) } },
      spec: {
        replicas: 1, selector: { matchLabels: podLabels },
        template: { metadata: { labels: podLabels }, spec: { serviceAccountName: 'flink', containers: [{
          name: 'jobmanager', image: 'flink:2.2',
          args: ['jobmanager', `-Dkubernetes.cluster-id=${clusterId}`, '-Dhigh-availability.type=kubernetes', '-Dhigh-availability.storageDir=s3://rogue/ha'],
        }] } },
      },
    });
    const rogueGone = async (name: string) => assert.match((await e2e.plane.kubectl(['get', 'deployment', name, '-n', NS])).stderr, /NotFound/, `nothing was stored for ${name}`);
    before(async () => {
      const created = await e2e.plane.kubectl(['create', '-n', NS, '-f', '-'], { input: fixture('flinkdeployment.yaml') });
      assert.equal(created.code, 0, created.stderr);
      fdUid = (await e2e.plane.kubectlOk(['get', 'flinkdeployment', 'basic-ha', '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).trim();
    });

    const ownedBy = (uid: string) => ({ annotations: { [GENERATION]: '3' }, ownerReferences: [{ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', name: 'basic-ha', uid }] });
    const spoofs: Array<{ name: string; meta: () => Record<string, unknown>; labels: Record<string, string> }> = [
      { name: 'the generation annotation', meta: () => ({ annotations: { [GENERATION]: '3' } }), labels: { app: 'rogue', component: 'jobmanager' } },
      { name: 'the type=flink-standalone-kubernetes label', meta: () => ({}), labels: { app: 'rogue', component: 'jobmanager', type: 'flink-standalone-kubernetes' } },
      { name: 'an ownerReference to the FlinkDeployment with a made-up uid', meta: () => ownedBy('6f1c2d8e-0000-4000-8000-0000000000ee'), labels: { app: 'rogue', component: 'jobmanager' } },
      // Anyone who may read the FlinkDeployment can copy its uid: only the operator's own JobManager is named after it.
      { name: 'an ownerReference with the FlinkDeployment\'s real uid, copied', meta: () => ownedBy(fdUid), labels: { app: 'rogue', component: 'jobmanager' } },
    ];
    for (const s of spoofs) {
      it(`a rogue JobManager with ${s.name} and the FlinkDeployment's cluster-id: denied, nothing stored`, async () => {
        const r = await e2e.plane.kubectl(['create', '-n', NS, '-f', '-'], { input: jobManager('rogue-jobmanager', s.meta(), s.labels, 'basic-ha') });
        assertDenied(r, /\[cluster-id\].*already used by FlinkDeployment\/basic-ha.*prove nothing/);
        await rogueGone('rogue-jobmanager');
      });
    }

    it('the operator\'s JobManager, owned by the FlinkDeployment with its uid: operator-made, admitted', async () => {
      const meta = { annotations: { [GENERATION]: '1' }, ownerReferences: [{ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', name: 'basic-ha', uid: fdUid, controller: true }] };
      const r = await e2e.plane.kubectl(['create', '-n', NS, '-f', '-'], { input: jobManager('basic-ha', meta, { app: 'basic-ha', component: 'jobmanager', type: 'flink-native-kubernetes' }, 'basic-ha') });
      assert.equal(r.code, 0, `the proven operator-made JobManager: ${r.stderr}`);
      await e2e.plane.kubectlOk(['delete', 'deployment', 'basic-ha', '-n', NS]);
    });
  });

  it('FLINK-30004: a JobManager created over leftover HA state is admitted with a warning naming the job and checkpoint', async () => {
    const leftover = fixture('ha-configmaps.yaml').replaceAll('demo', 'payments');
    const seeded = await e2e.plane.kubectl(['-n', NS, 'apply', '--server-side', '--field-manager=flink', '-f', '-'], { kubeconfig: cfg.flink, input: leftover });
    assert.equal(seeded.code, 0, seeded.stderr);
    await sleep(1100); // creationTimestamps have whole seconds: the state must be older than the JobManager
    const jm = fixture('native-jobmanager.yaml').replaceAll('native-app', 'payments');
    const r = await e2e.plane.kubectl(['create', '-n', NS, '-f', '-'], { input: jm });
    assert.equal(r.code, 0, `admitted: ${r.stderr}`);
    assert.match(r.stderr, /Warning: \[cluster-id\] cluster-id payments already has HA state .*FLINK-30004.*job 00000000000000000000000000000001 \(latest checkpoint 42\)/, `the warning: ${r.stderr}`);
  });

  it('Flink\'s real pod-bound token still cleans up (its DELETE now reaches the webhook, which checks the Pod)', async () => {
    const before = (await webhookCallCounts(e2e.plane)).get('ha-configmaps.flink-ha.io') ?? 0;
    const r = await e2e.plane.kubectl(['-n', NS, 'delete', 'configmap', JOB_CM], { kubeconfig: cfg.flink });
    assert.equal(r.code, 0, `Flink's cleanup: ${r.stderr}`);
    const after = (await webhookCallCounts(e2e.plane)).get('ha-configmaps.flink-ha.io') ?? 0;
    assert.ok(after > before, `the DELETE was decided by the webhook (${before} -> ${after} calls)`);
  });
});
