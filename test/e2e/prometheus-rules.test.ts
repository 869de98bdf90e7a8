// The chart's alert rules through the real promtool (built from the Prometheus Go modules by
// test/e2e/build-promtool.sh, cached like helm): `promtool check rules` on the rendered PrometheusRule's groups, and
// `promtool test rules` with fixtures/prometheus-rules.tests.yaml, a firing and a quiet case for every alert. Here
// rather than in test/unit/chart: the first promtool build takes longer than a unit file's budget (5 min); no
// control plane is started.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { find, render } from '../unit/chart/helm.ts';
import { ensurePromtool } from './harness/promtool-binary.ts';

const TESTS = fileURLToPath(new URL('./fixtures/prometheus-rules.tests.yaml', import.meta.url));

function run(bin: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }));
  });
}

describe('alert rules (promtool)', { timeout: 30 * 60_000 }, () => {
  let promtool: string;
  const dir = mkdtempSync(join(tmpdir(), 'flink-ha-rules-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  type Groups = { groups: Array<{ rules: Array<Record<string, unknown>> }> };
  let groups: Groups;

  before(async () => {
    promtool = await ensurePromtool();
    const docs = await render({ prometheusRule: { enabled: true } });
    groups = find(docs, 'PrometheusRule')!.spec as Groups;
  });

  it('promtool check rules accepts the rendered rules (queries and annotation templates)', async () => {
    const file = join(dir, 'full-rules.yaml');
    writeFileSync(file, yaml.dump(groups));
    const r = await run(promtool, ['check', 'rules', file]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS: 6 rules found/, r.out);
  });

  it('promtool test rules: every alert fires where it should and stays quiet where it should not', async () => {
    const stripped = { groups: groups.groups.map((g) => ({ ...g, rules: g.rules.map(({ annotations: _a, ...rule }) => rule) })) };
    writeFileSync(join(dir, 'rules.yaml'), yaml.dump(stripped));
    copyFileSync(TESTS, join(dir, 'tests.yaml'));
    const r = await run(promtool, ['test', 'rules', join(dir, 'tests.yaml')]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/, r.out);
    const alerts = new Set(groups.groups.flatMap((g) => g.rules.map((x) => x.alert as string)));
    const tested = new Set([...(yaml.load(readFileSync(TESTS, 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> }).tests
      .flatMap((t) => t.alert_rule_test.map((a) => `${a.alertname}:${a.exp_alerts.length > 0 ? 'fires' : 'quiet'}`))]);
    for (const a of alerts) {
      assert.ok(tested.has(`${a}:fires`), `${a} has a case where it fires`);
      assert.ok(tested.has(`${a}:quiet`), `${a} has a case where it stays quiet`);
    }
  });
});
