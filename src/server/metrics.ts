// Prometheus metrics of the webhook, in a private registry (never prom-client's global one, so tests and
// several servers in one process do not collide). Children for the hot labels are bound once.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Finding } from '../policy/types.ts';
import { createAuditMetrics, type AuditMetrics } from './metrics-audit.ts';

export type Webhook = 'mutate' | 'validate';
/**
 * overloaded: answered 429 because the review bytes held at once reached server.maxInflightBodyBytes;
 * peer_overloaded: 429, the client's address or connection held its share; too_slow: 408, the body arrived slower
 * than server.minBodyBytesPerSecond; unauthenticated: 403, no client certificate signed by tls.clientCaFile;
 * unverified_client: served without one (tls.requireClientCert false).
 */
export type ErrorReason = 'bad_request' | 'too_large' | 'unsupported_media_type' | 'policy_error' | 'aborted' | 'overloaded'
  | 'peer_overloaded' | 'too_slow' | 'unauthenticated' | 'unverified_client';

export interface Metrics {
  registry: Registry;
  observeReview(webhook: Webhook, seconds: number, allowed: boolean, patched: boolean, dryRun: boolean, findings: Finding[]): void;
  error(webhook: Webhook, reason: ErrorReason): void;
  certificateLoaded(notAfter: Date): void;
  certificateReload(result: 'success' | 'failure'): void;
  /** The background audit's (src/server/metrics-audit.ts). */
  audit: AuditMetrics;
}

/** Counts not yet handed to a prom-client counter child. */
interface Tally {
  child: { inc(n?: number): void };
  n: number;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'flink_ha_webhook_' });
  const duration = new Histogram({
    name: 'flink_ha_webhook_admission_duration_seconds',
    help: 'Time from the request body to the written answer, per webhook path.',
    labelNames: ['webhook'],
    // The API server gives a webhook at most timeoutSeconds (5 in our configurations); most answers take < 5 ms.
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const reviews = new Counter({
    name: 'flink_ha_webhook_admission_reviews_total',
    help: 'Reviews answered, by webhook and outcome (allowed, patched, denied).',
    labelNames: ['webhook', 'outcome'],
    registers: [registry],
    collect: () => flushTallies(),
  });
  const decisions = new Counter({
    name: 'flink_ha_webhook_rule_decisions_total',
    help: 'Rule findings in answered reviews, by webhook, rule id and action.',
    labelNames: ['webhook', 'rule', 'action'],
    registers: [registry],
    collect: () => flushTallies(),
  });
  const errors = new Counter({
    name: 'flink_ha_webhook_admission_errors_total',
    help: 'Requests that could not be decided normally: malformed input (answered 4xx) or a policy error.',
    labelNames: ['webhook', 'reason'],
    registers: [registry],
  });
  const dryRuns = new Counter({
    name: 'flink_ha_webhook_dry_run_reviews_total',
    help: 'Reviews with dryRun: true (decided like real ones, with no side effects).',
    labelNames: ['webhook'],
    registers: [registry],
    collect: () => flushTallies(),
  });
  let notAfterSeconds = Number.NaN;
  new Gauge({
    name: 'flink_ha_webhook_certificate_expiry_timestamp_seconds',
    help: 'notAfter of the serving certificate in use, as a Unix time.',
    registers: [registry],
    collect() {
      this.set(notAfterSeconds);
    },
  });
  new Gauge({
    name: 'flink_ha_webhook_certificate_expires_in_seconds',
    help: 'Seconds until the serving certificate in use expires (negative once expired).',
    registers: [registry],
    collect() {
      this.set(notAfterSeconds - Date.now() / 1000);
    },
  });
  const reloads = new Counter({
    name: 'flink_ha_webhook_certificate_reloads_total',
    help: 'Certificate pairs picked up from disk (success) or refused and the old pair kept (failure).',
    labelNames: ['result'],
    registers: [registry],
  });
  for (const r of ['success', 'failure']) reloads.labels(r).inc(0);

  // prom-client hashes and looks up the label values on every inc(), even of a bound child: a review counts its
  // outcome and each of its findings, so they are tallied here as plain numbers and handed to the counters when
  // the registry is read (every collect, so what /metrics shows is the same as counting each one at once).
  const tallies: Tally[] = [];
  const tallyOf = (child: { inc(n?: number): void }): Tally => {
    const t = { child, n: 0 };
    tallies.push(t);
    return t;
  };
  const flushTallies = () => {
    for (const t of tallies) {
      if (t.n > 0) {
        t.child.inc(t.n);
        t.n = 0;
      }
    }
  };
  // webhook -> rule -> action -> tally; the rule/action pairs are few and fixed by the policy.
  const ruleTallies = { mutate: new Map<string, Map<string, Tally>>(), validate: new Map<string, Map<string, Tally>>() };
  const ruleTally = (webhook: Webhook, rule: string, action: string): Tally => {
    let byAction = ruleTallies[webhook].get(rule);
    if (!byAction) {
      byAction = new Map();
      ruleTallies[webhook].set(rule, byAction);
    }
    let t = byAction.get(action);
    if (!t) {
      t = tallyOf(decisions.labels(webhook, rule, action));
      byAction.set(action, t);
    }
    return t;
  };
  const bound = {
    mutate: {
      duration: duration.labels('mutate'),
      dryRun: tallyOf(dryRuns.labels('mutate')),
      outcome: { allowed: tallyOf(reviews.labels('mutate', 'allowed')), patched: tallyOf(reviews.labels('mutate', 'patched')), denied: tallyOf(reviews.labels('mutate', 'denied')) },
    },
    validate: {
      duration: duration.labels('validate'),
      dryRun: tallyOf(dryRuns.labels('validate')),
      outcome: { allowed: tallyOf(reviews.labels('validate', 'allowed')), patched: tallyOf(reviews.labels('validate', 'patched')), denied: tallyOf(reviews.labels('validate', 'denied')) },
    },
  };
  for (const t of tallies) t.child.inc(0);

  const audit = createAuditMetrics(registry);

  return {
    registry,
    audit,
    observeReview(webhook, seconds, allowed, patched, dryRun, findings) {
      const b = bound[webhook];
      b.duration.observe(seconds);
      b.outcome[!allowed ? 'denied' : patched ? 'patched' : 'allowed'].n++;
      if (dryRun) b.dryRun.n++;
      for (const f of findings) ruleTally(webhook, f.rule, f.action).n++;
    },
    error(webhook, reason) {
      errors.labels(webhook, reason).inc();
    },
    certificateLoaded(notAfter) {
      notAfterSeconds = notAfter.getTime() / 1000;
    },
    certificateReload(result) {
      reloads.labels(result).inc();
    },
  };
}
