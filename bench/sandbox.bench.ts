// What the webhook adds to a Flink object's API request on the plain sandbox: a real kube-apiserver (no node) calling
// `serve` on loopback (test/e2e/harness, as the e2e tests run it, with --kubeconfig: the watched cluster view). The
// requests and the alternating blocks are added-latency.ts's; the webhook's own metrics say how many API calls its
// reviews made (0 per review in steady state for the answers its informers hold).
import https from 'node:https';
import type { BenchResult } from './index.ts';
import { addedRows, measureAddedLatency } from './added-latency.ts';
import { createFlinkNamespace, registerWebhooks, startControlPlane, startWebhook, type Webhook } from '../test/e2e/harness/index.ts';

const NS = 'bench-sandbox';

export async function run(): Promise<BenchResult[]> {
  const plane = await startControlPlane();
  let webhook: Webhook | undefined;
  try {
    await createFlinkNamespace(plane, NS);
    webhook = await startWebhook(plane);
    const w = webhook;
    await registerWebhooks(plane, w);
    const before = await webhookCounts(w);
    const m = await measureAddedLatency(plane, {
      namespace: NS, samples: Number(process.env.BENCH_SAMPLES ?? 300), blocks: 10, warmup: 3,
      register: () => registerWebhooks(plane, w),
    });
    const after = await webhookCounts(w);
    const reviews = after.reviews - before.reviews;
    const calls = after.calls - before.calls;
    // Inside the webhook (body read to answer written), against what the API server's requests gained.
    const inside = (after.seconds - before.seconds) / Math.max(1, after.timed - before.timed) * 1000;
    return [
      ...addedRows(m, { p50: 1.5 }),
      {
        name: 'cluster API calls per review (steady state, the reviews above)', value: reviews > 0 ? Math.round((calls / reviews) * 1000) / 1000 : 0, unit: 'calls',
        target: '0 for answers the informers hold', detail: { reviews, calls, byQuestion: after.byQuestion },
      },
      { name: `time inside the webhook per review, mean (load ${m.load.start.toFixed(1)}-${m.load.end.toFixed(1)})`, value: Math.round(inside * 1000) / 1000, unit: 'ms', detail: { reviews } },
    ];
  } finally {
    await webhook?.stop();
    await plane.stop();
  }
}

/** Reviews answered and cluster API calls made so far, from the webhook's /metrics. */
async function webhookCounts(webhook: Webhook): Promise<{ reviews: number; calls: number; seconds: number; timed: number; byQuestion: Record<string, number> }> {
  const text = await new Promise<string>((resolve, reject) => {
    https.get(`${webhook.url}/metrics`, { ca: webhook.caPem() }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  const sum = (prefix: string) => text.split('\n').filter((l) => l.startsWith(prefix)).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  const byQuestion: Record<string, number> = {};
  for (const l of text.split('\n').filter((x) => x.startsWith('flink_ha_webhook_cluster_api_calls_total{'))) {
    byQuestion[/question="([^"]*)"/.exec(l)?.[1] ?? '?'] = Number(l.split(' ').pop());
  }
  return {
    reviews: sum('flink_ha_webhook_admission_reviews_total{'), calls: sum('flink_ha_webhook_cluster_api_calls_total{'),
    seconds: sum('flink_ha_webhook_admission_duration_seconds_sum{'), timed: sum('flink_ha_webhook_admission_duration_seconds_count{'), byQuestion,
  };
}
