import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { renderJson, renderYaml } from '../../../src/report/json.ts';
import { renderTable } from '../../../src/report/table.ts';
import { sampleReport } from './sample-report.ts';

describe('JSON and YAML reports', () => {
  const json = JSON.parse(renderJson(sampleReport()));

  it('keep the issue\'s finding shape, every key present', () => {
    const keys = ['rule', 'action', 'message', 'fix', 'kind', 'namespace', 'name', 'file', 'line', 'item', 'clusterId'];
    for (const f of json.findings) assert.deepEqual(Object.keys(f), keys);
    const denied = json.findings[0];
    assert.deepEqual(
      { rule: denied.rule, action: denied.action, file: denied.file, line: denied.line },
      { rule: 'ha-storage-dir', action: 'denied', file: 'test/fixtures/audit/team a/orders.yaml', line: 3 },
    );
    const cluster = json.findings.find((f: { rule: string }) => f.rule === 'webhook-coverage');
    assert.deepEqual({ namespace: cluster.namespace, file: cluster.file, line: cluster.line }, { namespace: null, file: null, line: null });
  });

  it('count by action and by rule in the summary', () => {
    assert.deepEqual(json.summary.byAction, { mutated: 1, denied: 1, passed: 1, exempt: 1, unchecked: 1, warned: 2, error: 1 });
    assert.deepEqual(json.summary.byRule['ha-enabled'], { mutated: 1, exempt: 1 });
    assert.equal(json.summary.objects, 4);
    assert.equal(json.summary.findings, 8);
    assert.equal(json.summary.errors, 1);
  });

  it('YAML carries the same document', () => {
    assert.deepEqual(yaml.load(renderYaml(sampleReport())), json);
  });
});

describe('table report', () => {
  const text = renderTable(sampleReport());

  it('groups by namespace and Flink cluster, worst group first', () => {
    const headers = text.split('\n').filter((l) => /^(namespace|cluster-wide)/.test(l));
    assert.deepEqual(headers, ['namespace team-a, Flink cluster orders', 'namespace team-c', 'cluster-wide', 'namespace team-c, Flink cluster old', 'namespace team-b']);
  });

  it('shows each finding with its file, message and fix; passes only as a count', () => {
    assert.match(text, /WOULD DENY\s+ha-storage-dir\s+FlinkDeployment\/orders\s+\(test\/fixtures\/audit\/team a\/orders.yaml:3\)/);
    assert.match(text, /fix: set high-availability.storageDir/);
    assert.doesNotMatch(text, /standby-jobmanagers/);
    // Objects and findings counted apart, each said as what it is (issue 24).
    assert.match(text, /4 objects audited \(2 would be denied\); 8 findings, shown as \d+ lines \(one per cause; passes only counted\): 1 would deny, 1 error, 2 warn, 1 would mutate, 1 unchecked, 1 exempt, 1 pass; 1 input errors/);
    assert.match(text, /input error: test\/fixtures\/audit\/broken.yaml:4: YAML syntax error/);
  });

  it('lists the webhook configurations that are installed, with their failure policies', () => {
    const installed = { rule: 'webhook-coverage' as const, action: 'passed' as const, message: 'ValidatingWebhookConfiguration flink-ha-webhook is installed: ha-configmaps.flink-ha.io failurePolicy Fail', kind: 'ValidatingWebhookConfiguration', name: 'flink-ha-webhook' };
    const out = renderTable({ ...sampleReport(), findings: [...sampleReport().findings, installed] });
    assert.match(out, /PASS\s+webhook-coverage\s+ValidatingWebhookConfiguration\/flink-ha-webhook\n\s+ValidatingWebhookConfiguration flink-ha-webhook is installed: ha-configmaps.flink-ha.io failurePolicy Fail/);
  });

  it('never writes control characters from object data to the terminal', () => {
    assert.match(text, /the policy failed\? on this object/);
  });
});

describe('the table: one line per cause', () => {
  const base = { kind: 'Deployment', apiVersion: 'apps/v1', namespace: 'team-a', clusterId: 'flink' };
  const report = {
    objects: 3,
    errors: [],
    findings: [
      { ...base, name: 'jm', rule: 'ha-storage-dir', action: 'denied' as const, message: 'no storageDirTemplate', fix: 'configure storageDirTemplate' },
      { ...base, name: 'tm', rule: 'ha-storage-dir', action: 'denied' as const, message: 'no storageDirTemplate', fix: 'configure storageDirTemplate' },
      { ...base, name: 'jm', rule: 'ha-enabled', action: 'exempt' as const, message: 'set HA (exempt: label flink-ha.io/exempt on namespace team-a: sandbox)' },
      { ...base, name: 'tm', rule: 'cluster-id', action: 'exempt' as const, message: 'set id (exempt: label flink-ha.io/exempt on namespace team-a: sandbox)' },
    ],
  };
  const text = renderTable(report as unknown as Parameters<typeof renderTable>[0]);

  it('findings sharing action, rule and message are one line naming every object, with the fix once', () => {
    assert.match(text, /WOULD DENY\s+ha-storage-dir\s+Deployment\/jm, Deployment\/tm\n/, text);
    assert.equal(text.split('fix: configure storageDirTemplate').length - 1, 1, `the fix once:\n${text}`);
  });

  it('exempt findings are one line per exemption: the rules not enforced, the objects, which exemption and why', () => {
    const exempt = text.split('\n').filter((l) => /EXEMPT/.test(l));
    assert.equal(exempt.length, 1, `one EXEMPT line:\n${text}`);
    assert.match(text, /not enforced \(ha-enabled, cluster-id\): exempt, label flink-ha\.io\/exempt on namespace team-a: sandbox/);
  });

  it('counts objects and findings apart, and says how many lines show them', () => {
    assert.match(text, /3 objects audited \(2 would be denied\); 4 findings, shown as 2 lines \(one per cause; passes only counted\): 2 would deny, 2 exempt\n$/, text);
  });
});
