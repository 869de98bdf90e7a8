// The background audit's schedule: only the leader audits; a burst of allowed reviews makes one run, not one each;
// a run never overlaps another; losing the Lease clears the findings gauge; a failed read is counted and retried.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { defaultConfig } from '../../../src/config/load.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackgroundAudit, workerAudit, type AuditOutcome } from '../../../src/server/background-audit.ts';
import type { LeaderElection } from '../../../src/server/leader-election.ts';
import { createMetrics } from '../../../src/server/metrics.ts';
import { buildReports } from '../../../src/reports/build.ts';

function fakeElection(initial: boolean): LeaderElection & { set(v: boolean): void } {
  let leader = initial;
  const listeners: Array<(l: boolean) => void> = [];
  return {
    isLeader: () => leader,
    onChange: (l) => void listeners.push(l),
    stop: () => undefined,
    set(v) {
      leader = v;
      for (const l of listeners) l(v);
    },
  };
}

const outcome = (): AuditOutcome => ({
  findings: 1,
  counts: [{ rule: 'ha-enabled', action: 'denied', namespace: 'team-a', count: 1 }],
  reports: buildReports([], { maxResults: 10 }),
  requests: 12,
  cpuSeconds: 0.01,
});

const config = defaultConfig({ backgroundAudit: { intervalSeconds: 3600, debounceSeconds: 1 } });
const logger = pino({ level: 'silent' });
const series = async (m: ReturnType<typeof createMetrics>, name: string) => (await m.registry.metrics()).split('\n').filter((l) => l.startsWith(name));

describe('background audit schedule', () => {
  it('a replica that is not the leader never audits, however many reviews it answers', async () => {
    let runs = 0;
    const election = fakeElection(false);
    const audit = startBackgroundAudit({ config, logger, metrics: createMetrics(), election, audit: () => (runs++, Promise.resolve(outcome())), firstRunDelayMs: 10 });
    for (let i = 0; i < 100; i++) audit.poke();
    await sleep(1200);
    assert.equal(runs, 0, 'no audit off the leader');
    audit.stop();
  });

  it('the leader audits soon after taking the Lease, once per burst of reviews, and clears its gauges when it loses the Lease', async () => {
    let runs = 0;
    let inFlight = 0;
    let overlapped = false;
    const election = fakeElection(false);
    const metrics = createMetrics();
    const audit = startBackgroundAudit({
      config, logger, metrics, election, firstRunDelayMs: 10,
      audit: async () => {
        runs++;
        inFlight++;
        if (inFlight > 1) overlapped = true;
        await sleep(50);
        inFlight--;
        return outcome();
      },
    });
    election.set(true);
    await sleep(200);
    await audit.idle();
    assert.equal(runs, 1, 'one run after taking the Lease');
    assert.deepEqual(await series(metrics, 'flink_ha_webhook_audit_findings{'), ['flink_ha_webhook_audit_findings{rule="ha-enabled",action="denied",namespace="team-a"} 1']);
    assert.deepEqual(await series(metrics, 'flink_ha_webhook_audit_api_requests{stage="read"}'), ['flink_ha_webhook_audit_api_requests{stage="read"} 12']);
    for (let i = 0; i < 500; i++) audit.poke();
    await sleep(1300);
    await audit.idle();
    assert.equal(runs, 2, '500 reviews within the debounce make one run');
    assert.equal(overlapped, false, 'runs never overlap');
    election.set(false);
    assert.deepEqual(await series(metrics, 'flink_ha_webhook_audit_findings{'), [], 'a former leader exports no findings');
    assert.deepEqual(await series(metrics, 'flink_ha_webhook_audit_leader '), ['flink_ha_webhook_audit_leader 0']);
    audit.stop();
  });

  it('a failed read is counted, keeps the last success time, and the next poke tries again', async () => {
    let fail = true;
    const election = fakeElection(true);
    const metrics = createMetrics();
    const audit = startBackgroundAudit({ config, logger, metrics, election, firstRunDelayMs: 10, audit: () => (fail ? Promise.reject(new Error('connection refused')) : Promise.resolve(outcome())) });
    await sleep(100);
    await audit.idle();
    assert.deepEqual(await series(metrics, 'flink_ha_webhook_audit_runs_total{result="read"}'), ['flink_ha_webhook_audit_runs_total{result="read"} 1']);
    fail = false;
    audit.poke();
    await sleep(1200);
    await audit.idle();
    assert.deepEqual(await series(metrics, 'flink_ha_webhook_audit_runs_total{result="success"}'), ['flink_ha_webhook_audit_runs_total{result="success"} 1']);
    audit.stop();
  });
});

describe('the audit thread', () => {
  it('runs the audit in a worker and hands back its failure as a rejected run (never a crash or a hang)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-thread-'));
    const kubeconfig = join(dir, 'kubeconfig');
    // Port 1 on loopback: nothing listens, the read fails at once.
    writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);
    const audit = workerAudit(kubeconfig, config);
    try {
      await assert.rejects(audit(), /127\.0\.0\.1:1/, 'the read fails with the server named');
      await assert.rejects(audit(), /127\.0\.0\.1:1/, 'and the same thread answers the next run');
    } finally {
      await audit.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
