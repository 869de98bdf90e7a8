// Metrics of the cluster view (src/kube/api-cluster-view.ts): where each question's answers came from (the watch,
// the TTL cache of earlier API answers, or a new API call) and how many API calls were made, so that the calls per
// review (calls / flink_ha_webhook_admission_reviews_total) show whether reviews wait on the API server; and each
// informer's state (synced, objects held, restarts).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ApiClusterView } from '../kube/api-cluster-view.ts';

export function registerClusterViewMetrics(registry: Registry, view: ApiClusterView): void {
  const { stats, watched } = view;
  /** prom-client counters only go up: hand them what was counted since the last read. */
  const follow = (counter: Counter, source: Map<string, number>, labels: (question: string) => string[]) => {
    const seen = new Map<string, number>();
    return () => {
      for (const [question, n] of source) {
        const delta = n - (seen.get(question) ?? 0);
        if (delta > 0) counter.labels(...labels(question)).inc(delta);
        seen.set(question, n);
      }
    };
  };
  const answers: Counter = new Counter({
    name: 'flink_ha_webhook_cluster_answers_total',
    help: 'Answers of the cluster view, by question and source: watch (an informer\'s cache), ttl (an earlier API answer), api (asked now).',
    labelNames: ['question', 'source'],
    registers: [registry],
    collect: () => {
      fromWatch();
      fromTtl();
    },
  });
  const fromWatch = follow(answers, stats.watch, (q) => [q, 'watch']);
  const fromTtl = follow(answers, stats.ttl, (q) => [q, 'ttl']);
  const calls: Counter = new Counter({
    name: 'flink_ha_webhook_cluster_api_calls_total',
    help: 'API calls the cluster view made for reviews, by question (0 in steady state for answers the watch holds).',
    labelNames: ['question'],
    registers: [registry],
    collect: () => madeCalls(),
  });
  const madeCalls = follow(calls, stats.calls, (q) => [q]);
  if (!watched) return;
  new Gauge({
    name: 'flink_ha_webhook_informer_synced',
    help: '1 while an informer holds its LIST and every event since and its watch is connected; else 0 (answers come from the API server).',
    labelNames: ['resource'],
    registers: [registry],
    collect() {
      for (const i of watched.all) this.labels(i.name).set(i.synced() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'flink_ha_webhook_informer_objects',
    help: 'Objects an informer holds (projected: see src/kube/watched-cluster.ts).',
    labelNames: ['resource'],
    registers: [registry],
    collect() {
      for (const i of watched.all) this.labels(i.name).set(i.size());
    },
  });
  new Gauge({
    name: 'flink_ha_webhook_informer_restarts',
    help: 'Times an informer lost its watch (errors, relists) since the start.',
    labelNames: ['resource'],
    registers: [registry],
    collect() {
      for (const i of watched.all) this.labels(i.name).set(i.restarts);
    },
  });
}
