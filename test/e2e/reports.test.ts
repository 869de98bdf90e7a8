// The background audit against the real API server: two `serve` replicas compete for the leader Lease; the leader
// audits every few seconds and keeps openreports.io Reports (CRDs installed from the chart's files here, never
// assumed). A namespace with a Flink cluster without HA and one with orphaned HA state get Reports within one
// interval; the Reports are not rewritten while nothing changes; fixing the namespaces removes them (done by the
// other replica after the leader stopped); 200 namespaces keep 200 bounded Reports, whose size is measured.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import yaml from 'js-yaml';
import { createFlinkNamespace, REPO_ROOT, startControlPlane, startWebhook, type ControlPlane, type Webhook } from './harness/index.ts';
import { httpsGet } from './harness/control-plane.ts';
import { flinkDeployment, haState } from './audit-seed.ts';

const INTERVAL_S = 5;
const MAX_RESULTS = 10;
const MANY = 200;
const CRDS = join(REPO_ROOT, 'charts', 'flink-ha-webhook', 'files', 'openreports');

interface Report {
  metadata: { name: string; namespace?: string; resourceVersion: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  summary: Record<string, number>;
  results?: Array<{ rule: string; result: string; resources: Array<{ kind: string; name: string }>; properties?: Record<string, string> }>;
}

describe('background audit: Reports and metrics from the leader', { timeout: 15 * 60_000 }, () => {
  let plane: ControlPlane;
  const replicas: Webhook[] = [];

  const reports = async (namespace?: string): Promise<Report[]> => {
    const out = await plane.kubectlOk(['get', 'reports.openreports.io', ...(namespace ? ['-n', namespace] : ['-A']), '-o', 'json']);
    return (JSON.parse(out) as { items: Report[] }).items;
  };
  const metrics = (w: Webhook) => httpsGet(`${w.url}/metrics`, { ca: Buffer.from(w.caPem()) });
  const value = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  /** Polls until `check` returns a value (not undefined), or fails with `what` after `ms`. */
  const until = async <T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<{ value: T; ms: number }> => {
    const t0 = Date.now();
    let last: unknown;
    while (Date.now() - t0 < ms) {
      try {
        const v = await check();
        if (v !== undefined) return { value: v, ms: Date.now() - t0 };
      } catch (err) {
        last = err;
      }
      await sleep(250);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`);
  };
  const apply = (objects: unknown[]) => plane.kubectlOk(['apply', '--server-side', '--field-manager=e2e', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });

  before(async () => {
    plane = await startControlPlane();
    // Installed as the chart does where they are missing; the webhook must not assume them.
    for (const f of ['openreports.io_reports.yaml', 'openreports.io_clusterreports.yaml']) await plane.kubectlOk(['create', '-f', join(CRDS, f)]);
    await plane.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/reports.openreports.io', 'crd/clusterreports.openreports.io']);
    const configFile = join(plane.dir, 'reports-config.yaml');
    const base = yaml.load(readFileSync(join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'webhook-config.yaml'), 'utf8')) as Record<string, unknown>;
    writeFileSync(configFile, yaml.dump({
      ...base,
      backgroundAudit: { enabled: true, intervalSeconds: INTERVAL_S, debounceSeconds: 1, reports: true, maxResultsPerReport: MAX_RESULTS, metricsMaxNamespaces: 20 },
    }));
    // Two replicas with their own identities: one Lease, one writer.
    for (const name of ['replica-a', 'replica-b']) replicas.push(await startWebhook(plane, { configFile, env: { POD_NAME: name } }));
  });
  after(async () => {
    for (const r of replicas) await r.stop();
    await plane?.stop();
  });

  let leader: Webhook;
  let follower: Webhook;

  it('one replica leads; a Flink cluster without HA and orphaned HA state get Reports within one interval; a clean namespace none', async () => {
    for (const ns of ['reports-noha', 'reports-orphan', 'reports-clean']) await createFlinkNamespace(plane, ns);
    const seeded = Date.now();
    await apply([
      flinkDeployment('reports-noha', 'noha', { replicas: 1, config: {} }),
      ...haState('reports-orphan', 'gone', [3]),
      flinkDeployment('reports-clean', 'orders'),
      ...haState('reports-clean', 'orders'),
    ]);
    const got = await until('Reports in reports-noha and reports-orphan', (INTERVAL_S + 20) * 1000, async () => {
      const all = await reports();
      const noha = all.find((r) => r.metadata.namespace === 'reports-noha');
      const orphan = all.find((r) => r.metadata.namespace === 'reports-orphan');
      return noha && orphan ? { noha, orphan, all } : undefined;
    });
    const waited = Date.now() - seeded;
    console.error(`reports: first Reports ${waited} ms after seeding (interval ${INTERVAL_S} s)`);
    // One interval plus the audit itself (a second or two on this shared machine) and the poll.
    assert.ok(waited < (INTERVAL_S + 10) * 1000, `Reports within about one interval (${waited} ms)`);
    const { noha, orphan, all } = got.value;
    assert.ok(noha.results?.some((r) => r.rule === 'ha-enabled' && r.resources[0]?.name === 'noha'), `reports-noha names ha-enabled on noha: ${JSON.stringify(noha.results)}`);
    // A denial carries its fix; a would-be mutation's message is the fix ("set high-availability.type: ...").
    const noFix = (noha.results ?? []).filter((r) => (r.result === 'fail' && !r.properties?.fix) || (r.properties?.action === 'mutated' && !/^set |^add |^bind |^run /i.test((r as { message?: string }).message ?? '')));
    assert.deepEqual(noFix, [], 'every result says how to fix it');
    assert.ok(orphan.results?.some((r) => r.rule === 'orphaned-ha-state' && r.result === 'warn'), `reports-orphan names the orphaned state: ${JSON.stringify(orphan.results)}`);
    assert.equal(all.find((r) => r.metadata.namespace === 'reports-clean'), undefined, 'a compliant namespace has no Report');
    for (const r of all) assert.equal(r.metadata.labels?.['app.kubernetes.io/managed-by'], 'flink-ha-webhook', 'ours, by label');

    const texts = await Promise.all(replicas.map(metrics));
    const leaders = texts.map((t) => value(t, 'flink_ha_webhook_audit_leader'));
    assert.deepEqual([...leaders].sort(), [0, 1], `exactly one leader (${leaders.join(', ')})`);
    const i = leaders.indexOf(1);
    leader = replicas[i]!;
    follower = replicas[1 - i]!;
    const [lt, ft] = [texts[i]!, texts[1 - i]!];
    assert.ok((value(lt, 'flink_ha_webhook_audit_runs_total{result="success"}') ?? 0) >= 1, 'the leader audited');
    assert.ok((value(lt, 'flink_ha_webhook_report_writes_total{op="created"}') ?? 0) >= 2, 'the leader created the Reports');
    assert.equal(value(ft, 'flink_ha_webhook_audit_runs_total{result="success"}'), 0, 'the follower never audited');
    for (const op of ['created', 'updated', 'deleted']) assert.equal(value(ft, `flink_ha_webhook_report_writes_total{op="${op}"}`), 0, `the follower never ${op} a Report`);
    assert.ok((value(lt, 'flink_ha_webhook_audit_findings{rule="orphaned-ha-state",action="warned",namespace="reports-orphan"}') ?? 0) >= 1, 'the findings gauge names the orphaned state');
    assert.ok((value(lt, 'flink_ha_webhook_audit_last_success_timestamp_seconds') ?? 0) > Date.now() / 1000 - 60, 'a recent last success');
    assert.equal(ft.split('\n').filter((l) => l.startsWith('flink_ha_webhook_audit_findings{')).length, 0, 'the follower exports no findings');
  });

  it('while nothing changes, the Reports are not rewritten (same resourceVersion across audits)', async () => {
    const before_ = new Map((await reports()).map((r) => [r.metadata.namespace, r.metadata.resourceVersion]));
    const runs0 = value(await metrics(leader), 'flink_ha_webhook_audit_runs_total{result="success"}') ?? 0;
    await until('two more audits', (INTERVAL_S * 3 + 20) * 1000, async () => ((value(await metrics(leader), 'flink_ha_webhook_audit_runs_total{result="success"}') ?? 0) >= runs0 + 2 ? true : undefined));
    const after_ = new Map((await reports()).map((r) => [r.metadata.namespace, r.metadata.resourceVersion]));
    assert.deepEqual(after_, before_, 'no Report was written again');
    assert.ok((value(await metrics(leader), 'flink_ha_webhook_report_writes_total{op="unchanged"}') ?? 0) >= 2, 'counted as unchanged');
  });

  it('the leader stops; the other replica takes over and removes the Reports of the fixed namespaces', async () => {
    await leader.stop();
    // Fixed: the cluster gets HA (and the state it then writes); the orphaned state is deleted.
    await apply([flinkDeployment('reports-noha', 'noha'), ...haState('reports-noha', 'noha')]);
    await plane.kubectlOk(['delete', 'configmap', '-n', 'reports-orphan', '-l', 'app=gone']);
    const gone = await until('the fixed namespaces\' Reports to go', (15 + INTERVAL_S + 30) * 1000, async () => {
      const left = (await reports()).filter((r) => ['reports-noha', 'reports-orphan'].includes(r.metadata.namespace ?? ''));
      return left.length === 0 ? true : undefined;
    });
    console.error(`reports: Reports removed ${gone.ms} ms after the fix (Lease takeover included)`);
    const ft = await metrics(follower);
    assert.equal(value(ft, 'flink_ha_webhook_audit_leader'), 1, 'the other replica leads now');
    assert.ok((value(ft, 'flink_ha_webhook_report_writes_total{op="deleted"}') ?? 0) >= 2, 'and it deleted them');
    leader = follower;
  });

  it(`${MANY} namespaces keep ${MANY} bounded Reports: results capped, summaries true, total size measured`, async () => {
    const names = Array.from({ length: MANY }, (_, i) => `many-${String(i).padStart(3, '0')}`);
    // Four clusters without HA per namespace: more findings than a Report keeps.
    await apply(names.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
    const t0 = Date.now();
    await apply(names.flatMap((ns) => [0, 1, 2, 3].map((i) => flinkDeployment(ns, `job-${i}`, { replicas: 1, config: {} }))));
    const got = await until(`${MANY} Reports`, 180_000, async () => {
      const all = (await reports()).filter((r) => r.metadata.namespace?.startsWith('many-'));
      return all.length === MANY ? all : undefined;
    });
    const ms = Date.now() - t0;
    const sizes = got.value.map((r) => Buffer.byteLength(JSON.stringify(r)));
    const total = sizes.reduce((a, b) => a + b, 0);
    const lt = await metrics(leader);
    console.error(`reports: ${MANY} Reports in ${ms} ms; total ${total} bytes, largest ${Math.max(...sizes)}, mean ${Math.round(total / MANY)}; last audit ${value(lt, 'flink_ha_webhook_audit_duration_seconds')} s wall, ${value(lt, 'flink_ha_webhook_audit_cpu_seconds')} s CPU, ${value(lt, 'flink_ha_webhook_audit_api_requests{stage="read"}')} read requests, ${value(lt, 'flink_ha_webhook_audit_api_requests{stage="reports"}')} Report requests; leader RSS ${Math.round((value(lt, 'flink_ha_webhook_process_resident_memory_bytes') ?? 0) / 2 ** 20)} MB, main-thread event-loop lag max ${value(lt, 'flink_ha_webhook_nodejs_eventloop_lag_max_seconds')} s (the audit runs in a worker thread)`);
    for (const r of got.value) {
      const listed = (r.summary.fail ?? 0) + (r.summary.warn ?? 0) + (r.summary.error ?? 0) + (r.summary.skip ?? 0);
      assert.ok((r.results?.length ?? 0) <= MAX_RESULTS, `${r.metadata.namespace}: at most ${MAX_RESULTS} results (${r.results?.length})`);
      assert.ok(listed > MAX_RESULTS, `${r.metadata.namespace}: the summary counts more than is listed (${listed})`);
      assert.equal(Number(r.metadata.annotations?.['flink-ha.io/results-omitted']), listed - (r.results?.length ?? 0), `${r.metadata.namespace}: the omitted count is said`);
    }
    assert.ok(Math.max(...sizes) < 64 * 1024, `each Report stays small (largest ${Math.max(...sizes)} bytes)`);
    // The gauge names at most metricsMaxNamespaces (20) namespaces, whatever their number.
    const namespacesInGauge = new Set(lt.split('\n').filter((l) => l.startsWith('flink_ha_webhook_audit_findings{')).map((l) => /namespace="([^"]*)"/.exec(l)?.[1]));
    assert.ok(namespacesInGauge.size <= 22, `bounded label values: ${namespacesInGauge.size} (20 named + _other + _cluster)`);
    assert.ok(namespacesInGauge.has('_other'), 'the rest summed under _other');
  });
});
