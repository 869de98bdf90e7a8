// FlinkHAException through the real API server (issue 22): the CRD as the chart installs it, the webhook's watch,
// and RBAC deciding who may exempt. An exception an admin creates in the webhook's namespace exempts the
// FlinkDeployment it names (the warning and the audit annotation name it); the same object in a user's namespace, or
// expired, exempts nothing (and is reported); a namespace `edit` user cannot create one anywhere, nor exempt a
// workload with the retired label; the API server refuses a malformed one. After every refused attempt the stored
// exceptions are byte for byte as they were (same resourceVersions) and the refused workload was not stored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createFlinkNamespace, mintedKubeconfig, registerWebhooks, REPO_ROOT, startControlPlane, startWebhook,
  type ControlPlane, type KubectlResult, type Webhook,
} from './harness/index.ts';
import { runCli } from '../support/cli.ts';

type Json = any;

const WEBHOOK_NS = 'flink-ha-webhook'; // the e2e config's webhookNamespace (the default): where exceptions count
const TEAM = 'team';
const CRD = join(REPO_ROOT, 'manifests', 'base', 'crd-flinkhaexception.yaml');
const FUTURE = '2099-12-31T00:00:00Z';

function exception(name: string, namespace: string, spec: Record<string, unknown> = {}): Json {
  return {
    apiVersion: 'flink-ha.io/v1alpha1', kind: 'FlinkHAException', metadata: { name, namespace },
    spec: {
      match: { namespaces: [TEAM], kinds: ['FlinkDeployment'], names: ['orders'] },
      rules: ['ha-enabled', 'standby-jobmanagers'],
      reason: 'load test of a throwaway cluster, no state worth keeping',
      ticket: 'PLAT-201',
      expires: FUTURE,
      ...spec,
    },
  };
}

/** A FlinkDeployment with HA switched off on purpose: ha-enabled denies it unless excepted. */
function haOff(name: string, labels: Record<string, string> = {}): Json {
  return {
    apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name, namespace: TEAM, labels },
    spec: {
      image: 'flink:2.2', flinkVersion: 'v2_2', serviceAccount: 'flink',
      flinkConfiguration: { 'high-availability.type': 'NONE', 'taskmanager.numberOfTaskSlots': '2' },
      jobManager: { resource: { memory: '2048m', cpu: 1 } }, taskManager: { resource: { memory: '2048m', cpu: 1 } },
      job: { jarURI: 'local:///opt/flink/examples/streaming/StateMachineExample.jar', parallelism: 2, upgradeMode: 'stateless' },
    },
  };
}

describe('FlinkHAException through the real API server', () => {
  let plane: ControlPlane;
  let webhook: Webhook;
  let mallory = '';
  const asMallory = (args: string[], input?: string): Promise<KubectlResult> => plane.kubectl(args, { kubeconfig: mallory, ...(input ? { input } : {}) });
  const create = (obj: Json, opts: { kubeconfig?: string } = {}): Promise<KubectlResult> => plane.kubectl(['create', '-f', '-', '-o', 'json'], { ...opts, input: JSON.stringify(obj) });

  /** Every stored exception, whole (metadata with resourceVersion, spec): what a refused attempt must leave alone. */
  const storedExceptions = async (): Promise<string> => {
    const items = (JSON.parse(await plane.kubectlOk(['get', 'flinkhaexceptions', '-A', '-o', 'json'])) as { items: Json[] }).items;
    return JSON.stringify(items.map((e) => ({ metadata: e.metadata, spec: e.spec })), null, 1);
  };
  const assertNotStored = async (name: string) => {
    const r = await plane.kubectl(['get', 'flinkdeployment', name, '-n', TEAM]);
    assert.notEqual(r.code, 0, `FlinkDeployment ${name} was stored: ${r.stdout}`);
    assert.match(r.stderr, /NotFound/, r.stderr);
  };
  /** Creates a FlinkDeployment, retrying while the webhook's watch has not seen a just-created exception yet. */
  const createWhenExcepted = async (obj: Json): Promise<KubectlResult> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await create(obj);
      if (r.code === 0 || Date.now() > deadline) return r;
      await new Promise((done) => setTimeout(done, 300));
    }
  };

  before(async () => {
    plane = await startControlPlane({ auditLog: true });
    // The CRD as manifests/ (rendered from the chart) installs it, before the webhook starts watching.
    await plane.kubectlOk(['create', '-f', CRD]);
    const established = await waitUntil('the FlinkHAException CRD to be Established', async () =>
      (await plane.kubectl(['get', 'crd', 'flinkhaexceptions.flink-ha.io', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}'])).stdout === 'True');
    assert.ok(established, 'CRD established');
    await waitUntil('flinkhaexceptions to be listable', async () => (await plane.kubectl(['get', 'flinkhaexceptions', '-A'])).code === 0);
    await plane.kubectlOk(['create', 'namespace', WEBHOOK_NS]);
    await createFlinkNamespace(plane, TEAM);
    // mallory: the built-in `edit` role in her namespace (as ha-guards-attacks binds it), and FlinkDeployments there.
    await plane.kubectlOk(['create', 'serviceaccount', 'mallory', '-n', TEAM]);
    await plane.kubectlOk(['create', 'rolebinding', 'mallory-edit', '-n', TEAM, '--clusterrole=system:aggregate-to-edit', `--serviceaccount=${TEAM}:mallory`]);
    await plane.kubectlOk(['create', 'rolebinding', 'mallory-view', '-n', TEAM, '--clusterrole=system:aggregate-to-view', `--serviceaccount=${TEAM}:mallory`]);
    await plane.kubectlOk(['create', 'role', 'flink-apps', '-n', TEAM, '--verb=get,list,watch,create,update,patch,delete', '--resource=flinkdeployments.flink.apache.org']);
    await plane.kubectlOk(['create', 'rolebinding', 'mallory-flink', '-n', TEAM, '--role=flink-apps', `--serviceaccount=${TEAM}:mallory`]);
    mallory = await mintedKubeconfig(plane, TEAM, 'mallory');
    webhook = await startWebhook(plane);
    await registerWebhooks(plane, webhook);
  });
  after(async () => {
    await webhook?.stop();
    await plane?.stop();
  });

  it('without an exception, HA switched off is denied (ha-enabled), and nothing is stored', async () => {
    const r = await create(haOff('orders'));
    assert.notEqual(r.code, 0, `stored: ${r.stdout}`);
    assert.match(r.stderr, /\[ha-enabled\] .*high-availability\.type: NONE/, r.stderr);
    await assertNotStored('orders');
  });

  it("an admin's exception in the webhook's namespace exempts it: stored as sent, the warning and the audit annotation name the exception and its ticket", async () => {
    await plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify(exception('orders-ha-off', WEBHOOK_NS)) });
    const sent = haOff('orders');
    const r = await createWhenExcepted(sent);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: \[flink-ha-exception\] exempt from ha-enabled, standby-jobmanagers by FlinkHAException flink-ha-webhook\/orders-ha-off \(ticket PLAT-201, expires 2099-12-31T00:00:00Z\)/, r.stderr);
    const stored = JSON.parse(r.stdout);
    assert.deepEqual(stored.spec, sent.spec, 'stored exactly as sent: no rule the exception names mutated it');
    const event = await waitUntil('the audit event of the create', () => Promise.resolve(auditEvents(plane).find((e) => e.verb === 'create' && e.objectRef?.name === 'orders' && e.stage === 'ResponseComplete' && e.responseStatus?.code === 201)));
    const annotations = Object.entries((event).annotations ?? {}).filter(([k]) => k.endsWith('/flink-ha-exception'));
    assert.ok(annotations.length > 0, `an audit annotation flink-ha-exception: ${JSON.stringify((event).annotations)}`);
    assert.match(String(annotations[0]![1]), /FlinkHAException flink-ha-webhook\/orders-ha-off \(ticket PLAT-201/, 'it names the exception and its ticket');
  });

  it("the same exception in a user's namespace exempts nothing: denied, the warning says why, nothing stored", async () => {
    await plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify(exception('payments-self-service', TEAM, { match: { namespaces: [TEAM], names: ['payments'] } })) });
    // Give the watch time to see it, so that the denial is not just a watch that lags.
    await waitUntil('the webhook to see the misplaced exception', async () => /where exceptions do not count/.test((await create(haOff('payments'))).stderr));
    const r = await create(haOff('payments'));
    assert.notEqual(r.code, 0, `stored: ${r.stdout}`);
    assert.match(r.stderr, /\[ha-enabled\]/, r.stderr);
    assert.match(r.stderr, /FlinkHAException team\/payments-self-service .* is in namespace team, where exceptions do not count/, r.stderr);
    await assertNotStored('payments');
  });

  it('an expired exception exempts nothing: denied with a warning, and audit --cluster reports it', async () => {
    await plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify(exception('batch-expired', WEBHOOK_NS, { match: { namespaces: [TEAM], names: ['batch'] }, expires: '2020-01-01T00:00:00Z' })) });
    await waitUntil('the webhook to see the expired exception', async () => /expired: ignored/.test((await create(haOff('batch'))).stderr));
    const r = await create(haOff('batch'));
    assert.notEqual(r.code, 0, `stored: ${r.stdout}`);
    assert.match(r.stderr, /FlinkHAException flink-ha-webhook\/batch-expired \(ticket PLAT-201, expires 2020-01-01T00:00:00Z\) covers it but expired: ignored/, r.stderr);
    await assertNotStored('batch');

    const audit = await runCli(['audit', '--cluster', '--kubeconfig', plane.kubeconfigPath, '-A', '-o', 'json']);
    const findings = (JSON.parse(audit.stdout) as { findings: Json[] }).findings;
    const expired = findings.find((f) => f.rule === 'flink-ha-exception' && f.kind === 'FlinkHAException' && f.name === 'batch-expired');
    assert.equal(expired?.action, 'warned', `audit lists the expired exception: ${audit.stderr}`);
    assert.match(expired.message, /expired: it exempts nothing/, 'and says so');
    const misplaced = findings.find((f) => f.rule === 'flink-ha-exception' && f.name === 'payments-self-service');
    assert.match(misplaced?.message ?? '', /where exceptions do not count/, 'and the misplaced one');
    const applied = findings.filter((f) => f.kind === 'FlinkDeployment' && f.name === 'orders' && f.rule === 'ha-enabled');
    assert.deepEqual(applied.map((f) => f.action), ['exempt'], 'and, like the webhook, applies the one in force');
  });

  it('a namespace edit user cannot create an exception where it counts, nor in her own namespace, nor by impersonating a ServiceAccount: the API server refuses, nothing stored', async () => {
    const before = await storedExceptions();
    const attempts: Array<[string, KubectlResult]> = [
      ["in the webhook's namespace", await create(exception('mine', WEBHOOK_NS, { match: { namespaces: [TEAM], names: ['mine'] } }), { kubeconfig: mallory })],
      ['in her own namespace', await create(exception('mine', TEAM, { match: { namespaces: [TEAM], names: ['mine'] } }), { kubeconfig: mallory })],
      ['as a ServiceAccount of her namespace (edit may impersonate those)', await asMallory(['create', '-f', '-', `--as=system:serviceaccount:${TEAM}:flink`], JSON.stringify(exception('mine', WEBHOOK_NS)))],
      ['by editing the existing one', await asMallory(['patch', 'flinkhaexception', 'orders-ha-off', '-n', WEBHOOK_NS, '--type=merge', '-p', '{"spec":{"match":{"names":["orders","mine"]}}}'])],
    ];
    for (const [how, r] of attempts) {
      assert.notEqual(r.code, 0, `${how}: the API server let it through: ${r.stdout}`);
      assert.match(r.stderr, /forbidden/i, `${how}: refused by RBAC: ${r.stderr}`);
    }
    assert.equal(await storedExceptions(), before, 'the stored exceptions are byte for byte as they were');
  });

  it('nor exempt a workload with the retired label: denied, the warning says what to do, nothing stored', async () => {
    const r = await asMallory(['create', '-f', '-'], JSON.stringify(haOff('labelled', { 'flink-ha.io/exempt': 'true' })));
    assert.notEqual(r.code, 0, `stored: ${r.stdout}`);
    assert.match(r.stderr, /\[ha-enabled\]/, r.stderr);
    assert.match(r.stderr, /\[legacy-exempt-label\] it carries flink-ha\.io\/exempt=true, which no longer exempts anything/, r.stderr);
    await assertNotStored('labelled');
  });

  it('the API server refuses a malformed exception (schema and CEL), each with its reason; nothing stored', async () => {
    const before = await storedExceptions();
    const without = (key: string): Json => {
      const e = exception('bad', WEBHOOK_NS);
      delete e.spec[key];
      return e;
    };
    const rows: Array<[string, Json, RegExp]> = [
      ['an HA guard among the rules', exception('bad', WEBHOOK_NS, { rules: ['ha-enabled', 'protect-ha-configmap'] }), /HA guards .* are never excepted: their way out is the release annotation flink-ha\.io\/release/],
      ['an unknown rule', exception('bad', WEBHOOK_NS, { rules: ['everything'] }), /rules must be workload rule ids/],
      ['no expiry', without('expires'), /spec\.expires: Required value/],
      ['an expiry without a time', exception('bad', WEBHOOK_NS, { expires: '2027-01-31' }), /expires must be an RFC 3339 time/],
      ['no ticket or owner', without('ticket'), /spec\.ticket or spec\.owner must say who answers/],
      ['no reason', without('reason'), /spec\.reason: Required value/],
      ['a wildcard namespace', exception('bad', WEBHOOK_NS, { match: { namespaces: ['*'] } }), /spec\.match\.namespaces\[0\]: Invalid value/],
      ['no namespaces', exception('bad', WEBHOOK_NS, { match: { names: ['orders'] } }), /spec\.match\.namespaces: Required value/],
      ['In without values', exception('bad', WEBHOOK_NS, { match: { namespaces: [TEAM], selector: { matchExpressions: [{ key: 'tier', operator: 'In' }] } } }), /values are required for In and NotIn/],
    ];
    for (const [what, obj, reason] of rows) {
      const r = await create(obj);
      assert.notEqual(r.code, 0, `${what}: stored: ${r.stdout}`);
      assert.match(r.stderr, reason, `${what}: ${r.stderr}`);
    }
    assert.equal(await storedExceptions(), before, 'the stored exceptions are byte for byte as they were');
  });

  it('kubectl get shows the rules, expiry, ticket and age', async () => {
    const out = await plane.kubectlOk(['get', 'fhaex', '-n', WEBHOOK_NS]);
    assert.match(out.split('\n')[0] ?? '', /^NAME\s+RULES\s+EXPIRES\s+TICKET\s+AGE$/, out);
    assert.match(out, /orders-ha-off\s+\["ha-enabled","standby-jobmanagers"\]\s+2099-12-31T00:00:00Z\s+PLAT-201\s+\S+/, out);
  });
});

/** The API server's audit events so far (control plane started with auditLog). */
function auditEvents(plane: ControlPlane): Json[] {
  const file = join(plane.dir, 'audit.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 300));
  }
}
