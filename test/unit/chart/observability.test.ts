// The chart's reports and alerting objects: the PrometheusRule and the Grafana dashboard render only when asked;
// the openreports CRDs render by default (no cluster to ask) and not when switched off; the Report RBAC follows
// config.backgroundAudit. And every metric the alerts and the dashboard query is one /metrics really exposes (the
// webhook's registry, read) or one of the API server's admission-webhook metrics.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { find, render, type Doc } from './helm.ts';
import { createMetrics } from '../../../src/server/metrics.ts';

const DASHBOARD = new URL('../../../charts/flink-ha-webhook/files/dashboards/flink-ha-webhook.json', import.meta.url);

/**
 * The API server's admission webhook metrics the alerts and dashboard use (k8s.io/apiserver
 * pkg/admission/metrics/metrics.go: webhook_fail_open_count, webhook_admission_duration_seconds).
 */
const API_SERVER_METRICS = new Set(['apiserver_admission_webhook_fail_open_count', 'apiserver_admission_webhook_admission_duration_seconds_bucket']);

/** PromQL functions, aggregations and keywords the expressions use: anything else that is a name must be a metric. */
const PROMQL_WORDS = new Set(['sum', 'max', 'min', 'by', 'without', 'rate', 'increase', 'histogram_quantile', 'topk', 'time', 'vector', 'or', 'and', 'le', 'inf']);

/** Metric names in a PromQL expression: label matchers, grouping lists, strings, durations and numbers removed. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b\d+(\.\d+)?\b/g, ' ');
  const names = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return names.filter((n) => !PROMQL_WORDS.has(n.toLowerCase()));
}

/** Every metric name /metrics exposes: the TYPE lines (a gauge with no series yet still has one) and the samples. */
async function exposedNames(): Promise<Set<string>> {
  const text = await createMetrics().registry.metrics();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      names.add(type[1]!);
      if (type[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(type[1]! + s);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

const rulesOf = (docs: Doc[]) => (find(docs, 'PrometheusRule')?.spec.groups as Array<{ rules: Array<{ alert: string; expr: string }> }>).flatMap((g) => g.rules);

describe('PrometheusRule and dashboard', () => {
  it('render only when asked', async () => {
    const plain = await render({});
    assert.equal(find(plain, 'PrometheusRule'), undefined, 'no PrometheusRule by default');
    assert.equal(find(plain, 'ConfigMap', 'flink-ha-webhook-dashboard'), undefined, 'no dashboard by default');
    const asked = await render({ prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } }, grafanaDashboard: { enabled: true } });
    const rule = find(asked, 'PrometheusRule');
    assert.ok(rule, 'the PrometheusRule renders when enabled');
    assert.equal(rule.metadata.labels?.release, 'kube-prometheus-stack', 'with the labels the operator selects on');
    assert.deepEqual(rulesOf(asked).map((r) => r.alert).sort(), [
      'FlinkClusterWithoutHA', 'FlinkHAStateDeletesDenied', 'FlinkHAWebhookAuditNotRunning', 'FlinkHAWebhookCertificateExpiresSoon', 'FlinkHAWebhookFailingOpen', 'FlinkOrphanedHAState',
    ]);
    const dashboard = find(asked, 'ConfigMap', 'flink-ha-webhook-dashboard');
    assert.ok(dashboard, 'the dashboard renders when enabled');
    assert.equal(dashboard.metadata.labels?.grafana_dashboard, '1', 'the sidecar label');
    assert.deepEqual(JSON.parse(dashboard.data['flink-ha-webhook.json'] as string), JSON.parse(readFileSync(DASHBOARD, 'utf8')), 'the dashboard JSON as shipped');
  });

  it('the alert thresholds come from the values', async () => {
    const rules = rulesOf(await render({ prometheusRule: { enabled: true, certificateExpiryDays: 30, findingsFor: '1h' } }));
    assert.match(rules.find((r) => r.alert === 'FlinkHAWebhookCertificateExpiresSoon')!.expr, /< 30 \* 86400/);
    assert.equal((rules.find((r) => r.alert === 'FlinkClusterWithoutHA') as { for?: string }).for, '1h');
  });

  it('the alerts and the dashboard query only metrics /metrics exposes, or the API server\'s', async () => {
    const exposed = await exposedNames();
    const rules = rulesOf(await render({ prometheusRule: { enabled: true } }));
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const queries = [
      ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel ${p.title}`, expr: t.expr }))),
    ];
    assert.ok(queries.length >= 20, `the queries were found (${queries.length})`);
    const used = new Set<string>();
    for (const q of queries) {
      const names = metricNames(q.expr);
      assert.ok(names.length > 0, `${q.where}: names a metric (${q.expr})`);
      for (const n of names) {
        used.add(n);
        assert.ok(exposed.has(n) || API_SERVER_METRICS.has(n), `${q.where}: ${n} is neither exposed on /metrics nor an API server metric`);
      }
    }
    for (const n of ['flink_ha_webhook_audit_findings', 'flink_ha_webhook_certificate_expiry_timestamp_seconds', 'flink_ha_webhook_audit_last_success_timestamp_seconds']) {
      assert.ok(used.has(n), `${n} is queried`);
    }
  });

  it('the metric-name reader sees through label matchers, grouping and durations', () => {
    assert.deepEqual(metricNames('sum by (rule) (increase(a_total{x="sum(b)",y=~"c|d"}[10m])) >= 1'), ['a_total']);
    assert.deepEqual(metricNames('(time() - max(b_ts)) > 3 * max(c_s) and max(c_s) > 0'), ['b_ts', 'c_s', 'c_s']);
  });
});

describe('openreports CRDs and Report RBAC', () => {
  const reportRule = (docs: Doc[]) => (find(docs, 'ClusterRole')!.rules as Array<{ apiGroups: string[]; verbs: string[] }>).find((r) => r.apiGroups.includes('openreports.io'));
  it('by default: both CRDs (kept on uninstall) and the rights to keep Reports', async () => {
    const docs = await render({});
    const crds = docs.filter((d) => d.kind === 'CustomResourceDefinition' && d.metadata.name.endsWith('.openreports.io'));
    assert.deepEqual(crds.map((d) => d.metadata.name).sort(), ['clusterreports.openreports.io', 'reports.openreports.io']);
    for (const c of crds) assert.equal(c.metadata.annotations?.['helm.sh/resource-policy'], 'keep', `${c.metadata.name}: an uninstall must not delete other tools' Reports`);
    assert.deepEqual(reportRule(docs)?.verbs, ['get', 'list', 'create', 'update', 'delete']);
  });
  it('installCRDs false: no CRD; reports off: no rights on Reports', async () => {
    const docs = await render({ reports: { installCRDs: false }, config: { backgroundAudit: { reports: false } } });
    assert.equal(docs.filter((d) => d.kind === 'CustomResourceDefinition' && d.metadata.name.endsWith('.openreports.io')).length, 0, 'no openreports CRD');
    assert.equal(reportRule(docs), undefined, 'least privilege: no Report rights when none are written');
  });
});
