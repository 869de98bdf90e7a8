// `audit --cluster` against the real API server: a seeded set of namespaces (test/e2e/audit-seed.ts), read as a
// ServiceAccount holding only manifests/audit-reader-clusterrole.yaml, then with rights missing; the PolicyReports
// it writes are created in the API server after installing their CRDs (a real consumer accepts them).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFlinkNamespace, registerWebhooks, REPO_ROOT, startControlPlane, startWebhook, type ControlPlane, type Webhook } from './harness/index.ts';
import { OWNER_UID_FROM_CLUSTER, SEED, SEED_EXCEPTION } from './audit-seed.ts';

const bin = join(REPO_ROOT, 'bin', 'flink-ha-webhook.mjs');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function audit(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'audit', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface JsonFinding {
  rule: string;
  action: string;
  kind: string;
  namespace: string | null;
  name: string;
  message: string;
}

/** `rule action Kind namespace/name`, passes left out, sorted: what a reader of the report sees. */
function lines(findings: JsonFinding[]): string[] {
  return findings
    .filter((f) => f.action !== 'passed')
    .map((f) => `${f.rule} ${f.action} ${f.kind} ${f.namespace ?? ''}/${f.name}`)
    .sort();
}

describe('audit --cluster against a real API server', () => {
  let plane: ControlPlane;
  let webhook: Webhook;
  let auditorKubeconfig: string;
  let partialKubeconfig: string;
  let configFile: string;

  /** A kubeconfig that authenticates as a ServiceAccount, with a token from the TokenRequest API. */
  const serviceAccountKubeconfig = async (namespace: string, name: string): Promise<string> => {
    const token = (await plane.kubectlOk(['create', 'token', name, '-n', namespace, '--duration=1h'])).trim();
    const path = join(plane.dir, `kubeconfig-${name}`);
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': name,
        clusters: [{ name: 'e2e', cluster: { server: plane.server, 'certificate-authority': plane.pki.caCert } }],
        users: [{ name, user: { token } }],
        contexts: [{ name, context: { cluster: 'e2e', user: name } }],
      }),
    );
    return path;
  };

  before(async () => {
    plane = await startControlPlane();
    // The FlinkHAException CRD as manifests/ installs it, and the exception that exempts team-a/scratch.
    await plane.kubectlOk(['create', '-f', join(REPO_ROOT, 'manifests', 'base', 'crd-flinkhaexception.yaml')]);
    await plane.kubectlOk(['create', 'namespace', 'flink-ha-webhook']);
    for (let i = 0; ; i++) {
      // Established is not yet servable: retried like the harness does for the Flink CRDs.
      const r = await plane.kubectl(['create', '-f', '-'], { input: JSON.stringify(SEED_EXCEPTION) });
      if (r.code === 0) break;
      if (i > 100) throw new Error(`could not create the seed's FlinkHAException: ${r.stderr}`);
      await new Promise((done) => setTimeout(done, 300));
    }
    for (const [namespace, objects] of Object.entries(SEED)) {
      await createFlinkNamespace(plane, namespace);
      // Owners first, then what they own with their live uids (the garbage collector deletes a dependent whose
      // owner's uid does not exist).
      const owned = objects.filter((o) => (o.metadata?.ownerReferences ?? []).length > 0);
      const create = (items: unknown[]) => plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
      await create(objects.filter((o) => !owned.includes(o)));
      if (owned.length === 0) continue;
      await create(await Promise.all(owned.map(async (o) => {
        const ownerReferences = await Promise.all((o.metadata?.ownerReferences ?? []).map(async (ref) => {
          if (ref.uid !== OWNER_UID_FROM_CLUSTER) return ref;
          const uid = await plane.kubectlOk(['get', ref.kind, ref.name, '-n', namespace, '-o', 'jsonpath={.metadata.uid}']);
          return { ...ref, uid };
        }));
        return { ...o, metadata: { ...o.metadata, ownerReferences } };
      })));
    }
    // The webhook is installed after seeding: it would (rightly) refuse the ownerReference the seed needs.
    webhook = await startWebhook(plane);
    await registerWebhooks(plane, webhook);

    await plane.kubectlOk(['create', 'namespace', 'flink-ha-audit']);
    await plane.kubectlOk(['apply', '-f', join(REPO_ROOT, 'manifests', 'audit-reader-clusterrole.yaml')]);
    await plane.kubectlOk(['create', 'serviceaccount', 'auditor', '-n', 'flink-ha-audit']);
    await plane.kubectlOk(['create', 'clusterrolebinding', 'auditor', '--clusterrole=flink-ha-audit-reader', '--serviceaccount=flink-ha-audit:auditor']);
    // The same rights less two: listing pods and asking SubjectAccessReviews.
    const reader = JSON.parse(await plane.kubectlOk(['get', 'clusterrole', 'flink-ha-audit-reader', '-o', 'json'])) as { rules: Array<{ resources: string[]; verbs: string[] }> };
    const partialRules = reader.rules
      .map((r) => ({ ...r, resources: r.resources.filter((x) => x !== 'pods' && x !== 'subjectaccessreviews') }))
      .filter((r) => r.resources.length > 0);
    await plane.kubectlOk(['create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'audit-partial' }, rules: partialRules }),
    });
    await plane.kubectlOk(['create', 'serviceaccount', 'partial', '-n', 'flink-ha-audit']);
    await plane.kubectlOk(['create', 'clusterrolebinding', 'partial', '--clusterrole=audit-partial', '--serviceaccount=flink-ha-audit:partial']);
    auditorKubeconfig = await serviceAccountKubeconfig('flink-ha-audit', 'auditor');
    partialKubeconfig = await serviceAccountKubeconfig('flink-ha-audit', 'partial');

    // The audit reads the webhook's config: the e2e one, with one namespace the platform team excluded.
    configFile = join(plane.dir, 'audit-config.yaml');
    writeFileSync(configFile, `${readFileSync(join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'webhook-config.yaml'), 'utf8')}\nexcludedNamespaces: [kube-system, kube-public, kube-node-lease, legacy-batch]\n`);
  });

  after(async () => {
    await webhook?.stop();
    await plane?.stop();
  });

  it('reports exactly the expected findings, as a ServiceAccount with only the documented read rights', async () => {
    const r = await audit(['--cluster', '-A', '-o', 'json', '--kubeconfig', auditorKubeconfig, '--config', configFile, '--fail-on', 'never']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no permission is missing');
    const report = JSON.parse(r.stdout) as { findings: JsonFinding[] };
    assert.deepEqual(lines(report.findings), [...EXPECTED].sort());
  });

  it('says which jobs and which checkpoint orphaned HA state points at', async () => {
    const r = await audit(['--cluster', '-n', 'team-c', '-o', 'json', '--kubeconfig', auditorKubeconfig, '--config', configFile]);
    const report = JSON.parse(r.stdout) as { findings: JsonFinding[] };
    const orphan = report.findings.filter((f) => f.rule === 'orphaned-ha-state');
    assert.equal(orphan.length, 1);
    assert.match(orphan[0]!.message, /resumes job a1b2c3d4e5f60718293a4b5c6d7e8f90 at checkpoint 12/);
    // -n keeps the audit to one namespace.
    assert.deepEqual([...new Set(report.findings.filter((f) => f.namespace !== null).map((f) => f.namespace))], ['team-c']);
  });

  it('exits 1 under --fail-on deny, and the table groups by namespace and cluster with the fix', async () => {
    const r = await audit(['--cluster', '-A', '--kubeconfig', auditorKubeconfig, '--config', configFile]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^namespace team-pay, Flink cluster payments$/m);
    assert.match(r.stdout, /WOULD DENY\s+no-owner-reference\s+ConfigMap\/payments-cluster-config-map/);
    assert.match(r.stdout, /fix: remove the ownerReference/i);
  });

  it('with rights missing, names each missing permission and still audits the rest', async () => {
    const r = await audit(['--cluster', '-A', '-o', 'json', '--kubeconfig', partialKubeconfig, '--config', configFile, '--fail-on', 'never']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /missing permission: list pods \(cluster-wide\); Pods were not audited/);
    assert.match(r.stderr, /missing permission: create subjectaccessreviews\.authorization\.k8s\.io \(cluster-wide\); the ConfigMap rights of Flink ServiceAccounts were not checked/);
    const report = JSON.parse(r.stdout) as { findings: JsonFinding[] };
    const got = lines(report.findings);
    assert.ok(got.includes('no-owner-reference denied ConfigMap team-pay/payments-cluster-config-map'), `audit reports the planted ownerReference; got:\n${got.join('\n')}`);
    assert.ok(got.includes('cluster-id denied Deployment team-bi/analytics-blue'), `audit reports the cluster-id clash; got:\n${got.join('\n')}`);
    // Without the pods listed, "no cluster runs this id" cannot be told apart: no orphan is claimed.
    assert.ok(!got.some((l) => l.startsWith('orphaned-ha-state')), `no orphan may be claimed without the pods listed; got:\n${got.join('\n')}`);
    assert.deepEqual(got.filter((l) => l.startsWith('audit-permission')), [
      'audit-permission unchecked Permission /create subjectaccessreviews.authorization.k8s.io',
      'audit-permission unchecked Permission /list pods',
    ]);
  });

  it('--no-rights-check asks no SubjectAccessReview: rights stay unchecked, a missing ServiceAccount is still found', async () => {
    const r = await audit(['--cluster', '-n', 'team-d', '-o', 'json', '--no-rights-check', '--kubeconfig', partialKubeconfig, '--config', configFile, '--fail-on', 'never']);
    assert.equal(r.status, 0, r.stderr);
    // The partial auditor may not create SubjectAccessReviews; with the check off it is not even asked for.
    assert.doesNotMatch(r.stderr, /subjectaccessreviews/);
    const got = lines((JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings).filter((l) => l.startsWith('ha-service-account'));
    assert.deepEqual(got, [
      'ha-service-account unchecked FlinkDeployment team-d/ghost',
      'ha-service-account unchecked FlinkDeployment team-d/reports',
      'ha-service-account warned FlinkDeployment team-d/ghost',
    ]);
  });

  it('writes PolicyReports that the API server accepts once their CRDs are installed', async () => {
    await plane.kubectlOk(['create', '-f', join(REPO_ROOT, 'test', 'fixtures', 'audit', 'crds', 'policyreport-crds.yaml')]);
    await plane.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/policyreports.wgpolicyk8s.io', 'crd/clusterpolicyreports.wgpolicyk8s.io']);
    const json = await audit(['--cluster', '-A', '-o', 'json', '--kubeconfig', auditorKubeconfig, '--config', configFile, '--fail-on', 'never']);
    const out = await audit(['--cluster', '-A', '-o', 'policyreport', '--kubeconfig', auditorKubeconfig, '--config', configFile, '--fail-on', 'never']);
    assert.equal(out.status, 0, out.stderr);
    // Created through discovery like any client would, twice in a row: the server validates against the schema.
    await plane.kubectlOk(['create', '-f', '-'], { input: out.stdout });
    const stored = JSON.parse(await plane.kubectlOk(['get', 'policyreports', '-A', '-o', 'json'])) as { items: Array<{ metadata: { namespace: string }; summary: Record<string, number>; results: Array<{ rule: string; result: string; resources: Array<{ name: string }> }> }> };
    const cluster = JSON.parse(await plane.kubectlOk(['get', 'clusterpolicyreports', '-o', 'json'])) as { items: Array<{ results: unknown[] }> };
    const findings = (JSON.parse(json.stdout) as { findings: JsonFinding[] }).findings;
    assert.deepEqual(stored.items.map((i) => i.metadata.namespace).sort(), [...new Set(findings.map((f) => f.namespace).filter((n): n is string => n !== null))].sort());
    const stored_results = stored.items.reduce((n, i) => n + i.results.length, 0) + cluster.items.reduce((n, i) => n + i.results.length, 0);
    assert.equal(stored_results, findings.length);
    const pay = stored.items.find((i) => i.metadata.namespace === 'team-pay')!;
    assert.ok((pay.summary.fail ?? 0) >= 1, `team-pay's report counts at least one fail: ${JSON.stringify(pay.summary)}`);
    assert.ok(pay.results.some((x) => x.rule === 'no-owner-reference' && x.result === 'fail' && x.resources[0]!.name === 'payments-cluster-config-map'), `team-pay's report fails no-owner-reference on payments-cluster-config-map: ${JSON.stringify(pay.results)}`);
    // A folder audit's reports are accepted too (upstream manifests, into a namespace made for them).
    await plane.kubectlOk(['create', 'namespace', 'reports-from-git']);
    const folder = await audit([join(REPO_ROOT, 'test', 'fixtures', 'audit', 'upstream'), '-n', 'reports-from-git', '-o', 'policyreport', '--fail-on', 'never']);
    assert.equal(folder.status, 0, folder.stderr);
    await plane.kubectlOk(['create', '-f', '-'], { input: folder.stdout });
    const git = JSON.parse(await plane.kubectlOk(['get', 'policyreport', 'flink-ha-webhook', '-n', 'reports-from-git', '-o', 'json'])) as { summary: { fail: number } };
    assert.equal(git.summary.fail, 1);
  });

  it('writes openreports.io Reports (--report-api openreports) that the API server accepts once their CRDs are installed', async () => {
    await plane.kubectlOk(['create', '-f', join(REPO_ROOT, 'test', 'fixtures', 'audit', 'crds', 'openreports-crds.yaml')]);
    await plane.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/reports.openreports.io', 'crd/clusterreports.openreports.io']);
    const json = await audit(['--cluster', '-A', '-o', 'json', '--kubeconfig', auditorKubeconfig, '--config', configFile, '--fail-on', 'never']);
    const out = await audit(['--cluster', '-A', '-o', 'policyreport', '--report-api', 'openreports', '--kubeconfig', auditorKubeconfig, '--config', configFile, '--fail-on', 'never']);
    assert.equal(out.status, 0, out.stderr);
    await plane.kubectlOk(['create', '-f', '-'], { input: out.stdout });
    const stored = JSON.parse(await plane.kubectlOk(['get', 'reports.openreports.io', '-A', '-o', 'json'])) as { items: Array<{ source: string; metadata: { namespace: string }; results: Array<{ rule: string; result: string }> }> };
    const cluster = JSON.parse(await plane.kubectlOk(['get', 'clusterreports.openreports.io', '-o', 'json'])) as { items: Array<{ results: unknown[] }> };
    const findings = (JSON.parse(json.stdout) as { findings: JsonFinding[] }).findings;
    assert.equal(stored.items.reduce((n, i) => n + i.results.length, 0) + cluster.items.reduce((n, i) => n + i.results.length, 0), findings.length);
    assert.ok(stored.items.every((i) => i.source === 'flink-ha-webhook'), `every stored report has source flink-ha-webhook: ${JSON.stringify(stored.items.map((i) => i.source))}`);
    const pay = stored.items.find((i) => i.metadata.namespace === 'team-pay')!;
    assert.ok(pay.results.some((x) => x.rule === 'no-owner-reference' && x.result === 'fail'), `team-pay's report fails no-owner-reference: ${JSON.stringify(pay.results)}`);
  });
});

/** Every finding the seed must produce, and no other (passes aside). Written out so a change shows in review. */
const EXPECTED: string[] = [
  // team-bi: two standalone clusters share cluster-id analytics.
  'cluster-id denied Deployment team-bi/analytics-blue',
  'cluster-id denied Deployment team-bi/analytics-green',
  // team-a: orders is compliant (passes only); scratch is exempt from every rule it breaks, by its FlinkHAException
  // (named), and still carries the retired exempt label, which the audit lists until it is removed.
  'flink-ha-exception warned FlinkDeployment team-a/scratch',
  'legacy-exempt-label warned FlinkDeployment team-a/scratch',
  'checkpoint-dir exempt FlinkDeployment team-a/scratch',
  'ha-enabled exempt FlinkDeployment team-a/scratch',
  'ha-storage-dir exempt FlinkDeployment team-a/scratch',
  'standby-jobmanagers exempt FlinkDeployment team-a/scratch',
  // team-d: a ServiceAccount without ConfigMap rights (SubjectAccessReview), and one that does not exist.
  'ha-service-account warned FlinkDeployment team-d/ghost',
  'ha-service-account warned FlinkDeployment team-d/reports',
  // team-pay: an HA ConfigMap with an ownerReference.
  'no-owner-reference denied ConfigMap team-pay/payments-cluster-config-map',
  // team-c: HA state whose cluster is gone.
  'orphaned-ha-state warned ConfigMap team-c/old-cluster-config-map',
  // team-e: three JobManagers, no HA state.
  'standby-without-ha-state warned FlinkDeployment team-e/fresh',
  // legacy-batch: HA state in a namespace the webhook's config excludes.
  'webhook-coverage warned Namespace /legacy-batch',
];

describe('audit --cluster on a cluster without the Flink operator and without the webhook', () => {
  let plane: ControlPlane;
  before(async () => {
    plane = await startControlPlane({ crds: false });
    await createFlinkNamespace(plane, 'team-c');
    await plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: SEED['team-c'] }) });
  });
  after(async () => {
    await plane?.stop();
  });

  it('audits what there is, and says the webhook is not installed', async () => {
    const r = await audit(['--cluster', '-A', '-o', 'json', '--kubeconfig', plane.kubeconfigPath]);
    assert.equal(r.status, 0, r.stderr);
    // Without --config a live audit looks for the installed webhook's config; here there is none, and it says so
    // (issue 24) in one line, and nothing else: the missing FlinkDeployment API is not an error.
    assert.match(r.stderr, /^audit: no installed webhook config found \(.*\); judging with the built-in defaults \(mode enforce, .*storageDirTemplate none\); --config FILE to judge with yours\n$/, r.stderr);
    assert.deepEqual(lines((JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings), [
      'orphaned-ha-state warned ConfigMap team-c/old-cluster-config-map',
      'webhook-coverage warned MutatingWebhookConfiguration /flink-ha-webhook',
      'webhook-coverage warned ValidatingWebhookConfiguration /flink-ha-webhook',
    ]);
  });
});
