// cluster-id uniqueness needs the live cluster: two Flink clusters with one cluster-id in a namespace share (and
// corrupt) each other's HA ConfigMaps. The Flink docs' session and application JobManagers both carry
// `app: flink`, so deploying both into one namespace is the classic way to get there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFlinkNamespace, startE2E, type E2E } from './harness/index.ts';

const NS = 'ids';
const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('cluster-id uniqueness against the live namespace', () => {
  let e2e: E2E;
  before(async () => {
    e2e = await startE2E();
    await createFlinkNamespace(e2e.plane, NS);
    const session = await e2e.plane.kubectl(['apply', '-n', NS, '-f', '-'], { input: fixture('session-cluster.yaml') });
    assert.equal(session.code, 0, session.stderr);
  });
  after(async () => {
    await e2e?.stop();
  });

  const clashes = [
    {
      name: 'a standalone application cluster whose pods carry the same app label',
      manifest: () => fixture('application-job.yaml').replaceAll('app: flink-app', 'app: flink'),
    },
    {
      name: 'a native cluster with the same cluster-id',
      manifest: () => fixture('native-jobmanager.yaml').replaceAll('native-app', 'flink'),
    },
    {
      name: 'a FlinkDeployment named like the cluster-id (the operator uses metadata.name)',
      manifest: () => fixture('flinkdeployment.yaml').replace('name: basic-ha', 'name: flink'),
    },
  ];
  for (const clash of clashes) {
    it(`${clash.name} is denied: it would share the session cluster's HA state`, async () => {
      // The webhook caches its namespace listing for a few seconds: wait (with server dry runs, which store
      // nothing) until it has seen the session cluster, then make the real request.
      for (let i = 0; i < 40; i++) {
        const probe = await e2e.plane.kubectl(['apply', '-n', NS, '--dry-run=server', '-f', '-'], { input: clash.manifest() });
        if (probe.code !== 0) break;
        await sleep(250);
      }
      const result = await e2e.plane.kubectl(['apply', '-n', NS, '-f', '-'], { input: clash.manifest() });
      assert.notEqual(result.code, 0, `admitted:\n${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /denied the request: .*\[cluster-id\]/);
    });
  }

  it('a second cluster with its own app label is admitted', async () => {
    const other = fixture('application-job.yaml').replaceAll('flink-app', 'other-app').replaceAll('app-flink-config', 'other-app-config');
    const result = await e2e.plane.kubectl(['apply', '-n', NS, '-f', '-'], { input: other });
    assert.equal(result.code, 0, result.stderr);
  });
});
