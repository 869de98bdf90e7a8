import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ask, fakeCluster, fixture, PERSON, TEMPLATE_CONFIG, withField } from '../../support/policy.ts';

const bare = () => fixture('upstream/basic.yaml', 'FlinkDeployment');
const none = () => withField(bare(), 'spec.flinkConfiguration', { 'high-availability.type': 'NONE' });
const leader = () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-cluster-config-map');
const nsWith = (labels: Record<string, string>, annotations: Record<string, string> = {}) =>
  fakeCluster({ namespaces: new Map([['default', { labels, annotations }]]) });

describe('modes and exemptions', () => {
  it('enforce (default): mutates, and every mutation is explained by a warning and an audit annotation naming the rule', async () => {
    const d = await ask({ object: bare() });
    assert.ok(d.patch.length > 0, 'enforce mode patches the bare deployment');
    assert.ok(d.warnings.some((w) => w.startsWith('[ha-enabled] set high-availability.type')), `an [ha-enabled] warning explains the mutation: ${JSON.stringify(d.warnings)}`);
    assert.match(d.auditAnnotations['standby-jobmanagers']!, /^mutated: set spec\.jobManager\.replicas: 2/);
  });

  it('warn mode (namespace label): no patch, no denial, a warning per rule', async () => {
    const d = await ask({ object: none(), cluster: nsWith({ 'flink-ha.io/mode': 'warn' }) });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.patch, []);
    assert.ok(d.warnings.some((w) => /^\[ha-enabled\] would deny: .*\(warn mode\)$/.test(w)), `an [ha-enabled] would-deny warning in warn mode: ${JSON.stringify(d.warnings)}`);
    assert.ok(d.warnings.some((w) => w.startsWith('[standby-jobmanagers] would set')), `a [standby-jobmanagers] would-set warning: ${JSON.stringify(d.warnings)}`);
  });

  it('audit mode (config namespaceModes): allowed, no patch, no warnings, findings kept for the audit log', async () => {
    const d = await ask({ object: none(), config: TEMPLATE_CONFIG({ namespaceModes: { default: 'audit' } }) });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.patch, []);
    assert.deepEqual(d.warnings, []);
    assert.match(d.auditAnnotations['ha-enabled']!, /would deny/);
  });

  it('the namespace label beats the config, the config beats the default', async () => {
    const config = TEMPLATE_CONFIG({ mode: 'audit', namespaceModes: { default: 'warn' } });
    assert.ok((await ask({ object: none(), config })).warnings.length > 0, 'namespaceModes warn beats mode audit');
    assert.equal((await ask({ object: none(), config, cluster: nsWith({ 'flink-ha.io/mode': 'enforce' }) })).allowed, false);
  });

  // The exempt label is retired (issue 22): it exempts only with legacyExemptLabel: true, for one release, and says so.
  const LEGACY = () => TEMPLATE_CONFIG({ legacyExemptLabel: true });
  const labelled = () => withField(withField(none(), 'metadata.labels', { 'flink-ha.io/exempt': 'true' }), 'metadata.annotations', { 'flink-ha.io/exempt-reason': 'load test, no state' });

  it('legacyExemptLabel: an exempt object is allowed untouched, its findings say exempt with the reason, and a note says the label is retiring', async () => {
    const d = await ask({ object: labelled(), config: LEGACY() });
    assert.equal(d.allowed, true, 'the legacy label still exempts');
    assert.deepEqual(d.patch, []);
    const rules = d.findings.filter((f) => f.action !== 'passed' && f.rule !== 'legacy-exempt-label');
    assert.ok(rules.length > 0 && rules.every((f) => f.action === 'exempt' && f.message.includes('load test, no state')), `every non-passed rule finding is exempt with the reason: ${JSON.stringify(d.findings)}`);
    assert.ok(d.warnings.some((w) => w.startsWith('[legacy-exempt-label]') && w.includes('only while legacyExemptLabel is on')), `a warning says the label is retiring: ${JSON.stringify(d.warnings)}`);
  });

  it('legacyExemptLabel: an exempt namespace works the same way', async () => {
    const d = await ask({ object: none(), config: LEGACY(), cluster: nsWith({ 'flink-ha.io/exempt': 'true' }, { 'flink-ha.io/exempt-reason': 'sandbox' }) });
    assert.equal(d.allowed, true);
    assert.ok(d.findings.some((f) => f.action === 'exempt' && f.message.includes('namespace default: sandbox')), `an exempt finding naming the namespace's reason: ${JSON.stringify(d.findings)}`);
  });

  it('by default the exempt label on an object exempts nothing: the rules apply and a warning says what to do', async () => {
    const d = await ask({ object: labelled() });
    assert.equal(d.allowed, false, 'ha-enabled denies high-availability.type: NONE as if the label were not there');
    assert.ok(!d.findings.some((f) => f.action === 'exempt'), `no finding is exempt: ${JSON.stringify(d.findings)}`);
    const note = d.findings.find((f) => f.rule === 'legacy-exempt-label');
    assert.equal(note?.action, 'warned', `a legacy-exempt-label note: ${JSON.stringify(d.findings)}`);
    assert.match(note.fix ?? '', /FlinkHAException in flink-ha-webhook/, 'the fix names the exception and where it goes');
  });

  it('by default the exempt label on a namespace exempts nothing either, and each workload in it says so', async () => {
    const d = await ask({ object: none(), cluster: nsWith({ 'flink-ha.io/exempt': 'true' }, { 'flink-ha.io/exempt-reason': 'sandbox' }) });
    assert.equal(d.allowed, false, 'the namespace label exempts nothing');
    assert.ok(d.findings.some((f) => f.rule === 'legacy-exempt-label' && f.message.includes('namespace default')), `the note names the namespace: ${JSON.stringify(d.findings)}`);
  });

  it('the legacy note comes once per review: from the mutating half, not the validating one', async () => {
    const d = await ask({ object: labelled(), phase: 'validate' });
    assert.deepEqual(d.findings.filter((f) => f.rule === 'legacy-exempt-label'), [], 'no note from the validating half');
  });

  it('warn mode words every mutation as what it would do: "would add env POD_IP", never "would added"', async () => {
    const jm = fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
    const container = (jm.spec as { template: { spec: { containers: Array<{ env?: unknown[] }> } } }).template.spec.containers[0]!;
    delete container.env; // without its POD_IP env, which the rule adds
    const d = await ask({ object: jm, cluster: nsWith({ 'flink-ha.io/mode': 'warn' }) });
    assert.ok(d.warnings.some((w) => w.startsWith('[pod-ip-address] would add env POD_IP')), `a would-add warning: ${JSON.stringify(d.warnings)}`);
    assert.ok(d.warnings.every((w) => !/ would (added|removed|replaced)\b/.test(w)), `no past tense after would: ${JSON.stringify(d.warnings)}`);
  });

  it('a denied request says once that nothing was applied (its status), not on every mutation line', async () => {
    const d = await ask({ object: none() });
    assert.equal(d.allowed, false, 'HA NONE is denied');
    assert.ok(d.findings.some((f) => f.action === 'mutated'), 'its mutations are still reported');
    assert.ok(d.findings.every((f) => !f.message.includes('not applied')), `no per-line suffix: ${JSON.stringify(d.findings.map((f) => f.message))}`);
  });

  it('an exempted admission says in one warning which exemption applied and why (the legacy label, while it still exempts)', async () => {
    const byObject = (await ask({ object: labelled(), config: LEGACY() })).warnings.filter((w) => /exempt/.test(w) && !w.startsWith('[ha-'));
    assert.equal(byObject.length, 1, `one exemption warning: ${JSON.stringify(byObject)}`);
    assert.match(byObject[0]!, /^\[legacy-exempt-label\] it is exempt through flink-ha\.io\/exempt=true \(load test, no state\)/);
    const byNamespace = (await ask({ object: none(), config: LEGACY(), cluster: nsWith({ 'flink-ha.io/exempt': 'true' }, { 'flink-ha.io/exempt-reason': 'sandbox' }) })).warnings.filter((w) => w.startsWith('[legacy-exempt-label]'));
    assert.match(byNamespace[0] ?? '', /its namespace default is exempt through .*namespace default: sandbox/, `names the namespace label: ${JSON.stringify(byNamespace)}`);
    assert.deepEqual((await ask({ object: bare() })).warnings.filter((w) => /exempt/.test(w)), [], 'no exemption warning without an exemption');
  });

  it('excluded namespaces (kube-system by default) are never mutated or guarded', async () => {
    const d = await ask({ object: none(), namespace: 'kube-system' });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.patch, []);
    assert.equal((await ask({ oldObject: leader(), namespace: 'kube-system', requester: PERSON })).allowed, true);
  });

  it('a CD tool cannot exempt an HA ConfigMap from the guards by adding the exempt label', async () => {
    const cm = leader();
    cm.metadata!.labels!['flink-ha.io/exempt'] = 'true';
    const d = await ask({ object: cm, oldObject: leader(), requester: { username: 'system:serviceaccount:argocd:argocd-application-controller' }, phase: 'validate' });
    assert.equal(d.allowed, false);
  });

  it('objects the policy does not know are allowed with no findings', async () => {
    const d = await ask({ object: fixture('upstream/kubernetes-ha-rbac-example.yaml', 'Role') });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.findings, []);
  });

  it('operator-owned objects are never mutated', async () => {
    const jm = withField(fixture('flink/native-jobmanager.yaml', 'Deployment'), 'metadata.annotations', { 'flinkdeployment.flink.apache.org/generation': '3' });
    const d = await ask({ object: jm });
    assert.deepEqual(d.patch, []);
  });
});
