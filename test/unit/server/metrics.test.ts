// The review counters are tallied as plain numbers and handed to prom-client when the registry is read: what a
// scrape shows must be exactly what counting each review and finding at once would show, scrape after scrape.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../../src/server/metrics.ts';
import type { Finding } from '../../../src/policy/types.ts';

const found = (rule: string, action: Finding['action']): Finding => ({ rule, action, message: 'm' }) as Finding;

const valueOf = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('review metrics', () => {
  it('counts outcomes, dry runs and findings exactly, across scrapes', async () => {
    const m = createMetrics();
    const before = await m.registry.metrics();
    // Series that exist from the start, at 0, as before.
    assert.equal(valueOf(before, 'flink_ha_webhook_admission_reviews_total{webhook="mutate",outcome="patched"}'), 0);
    assert.equal(valueOf(before, 'flink_ha_webhook_dry_run_reviews_total{webhook="validate"}'), 0);
    assert.equal(valueOf(before, 'flink_ha_webhook_rule_decisions_total{webhook="mutate",rule="ha-enabled",action="mutated"}'), undefined);

    m.observeReview('mutate', 0.0004, true, true, false, [found('ha-enabled', 'mutated'), found('ha-storage-dir', 'mutated'), found('cluster-id', 'passed')]);
    m.observeReview('mutate', 0.002, true, false, true, [found('ha-enabled', 'passed')]);
    m.observeReview('validate', 0.003, false, false, true, [found('protect-ha-configmap', 'denied')]);
    const first = await m.registry.metrics();
    const expectFirst: Array<[string, number]> = [
      ['flink_ha_webhook_admission_reviews_total{webhook="mutate",outcome="patched"}', 1],
      ['flink_ha_webhook_admission_reviews_total{webhook="mutate",outcome="allowed"}', 1],
      ['flink_ha_webhook_admission_reviews_total{webhook="mutate",outcome="denied"}', 0],
      ['flink_ha_webhook_admission_reviews_total{webhook="validate",outcome="denied"}', 1],
      ['flink_ha_webhook_dry_run_reviews_total{webhook="mutate"}', 1],
      ['flink_ha_webhook_dry_run_reviews_total{webhook="validate"}', 1],
      ['flink_ha_webhook_rule_decisions_total{webhook="mutate",rule="ha-enabled",action="mutated"}', 1],
      ['flink_ha_webhook_rule_decisions_total{webhook="mutate",rule="ha-enabled",action="passed"}', 1],
      ['flink_ha_webhook_rule_decisions_total{webhook="mutate",rule="ha-storage-dir",action="mutated"}', 1],
      ['flink_ha_webhook_rule_decisions_total{webhook="mutate",rule="cluster-id",action="passed"}', 1],
      ['flink_ha_webhook_rule_decisions_total{webhook="validate",rule="protect-ha-configmap",action="denied"}', 1],
      ['flink_ha_webhook_admission_duration_seconds_count{webhook="mutate"}', 2],
      ['flink_ha_webhook_admission_duration_seconds_bucket{le="0.0005",webhook="mutate"}', 1],
    ];
    for (const [series, v] of expectFirst) assert.equal(valueOf(first, series), v, series);

    // A second scrape with nothing new counts nothing twice; new reviews add to what was handed over.
    assert.equal(valueOf(await m.registry.metrics(), 'flink_ha_webhook_admission_reviews_total{webhook="mutate",outcome="patched"}'), 1);
    for (let i = 0; i < 5; i++) m.observeReview('mutate', 0.001, true, true, false, [found('ha-enabled', 'mutated')]);
    const second = await m.registry.metrics();
    assert.equal(valueOf(second, 'flink_ha_webhook_admission_reviews_total{webhook="mutate",outcome="patched"}'), 6);
    assert.equal(valueOf(second, 'flink_ha_webhook_rule_decisions_total{webhook="mutate",rule="ha-enabled",action="mutated"}'), 6);
    // Reading one metric (not the whole registry) sees the tallies too.
    m.observeReview('validate', 0.001, true, false, false, [found('protect-ha-configmap', 'passed')]);
    const one = await m.registry.getSingleMetric('flink_ha_webhook_rule_decisions_total')!.get();
    const v = one.values.find((x) => x.labels.webhook === 'validate' && x.labels.rule === 'protect-ha-configmap' && x.labels.action === 'passed');
    assert.equal(v?.value, 1);
  });
});
