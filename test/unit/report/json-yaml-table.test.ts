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
    assert.match(text, /4 objects audited: 1 would deny, 1 error, 2 warn, 1 would mutate, 1 unchecked, 1 exempt, 1 pass; 1 input errors/);
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
