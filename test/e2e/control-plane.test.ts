// The harness's control plane is the real thing the other e2e tests rely on: the Kubernetes version it was
// built at, RBAC enforced, the ServiceAccount admission plugin on, the Flink CRDs served, and nothing left
// running after stop().
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { createFlinkNamespace, serviceAccount, startControlPlane, type ControlPlane } from './harness/index.ts';

const run = promisify(execFile);
const k8sVersion = /^\s*(?:require\s+)?k8s\.io\/kubernetes (v\S+)/m.exec(
  readFileSync(join(import.meta.dirname, 'k8s', 'go.mod'), 'utf8'),
)?.[1];

describe('the e2e control plane', () => {
  let plane: ControlPlane;
  before(async () => {
    plane = await startControlPlane();
    await createFlinkNamespace(plane, 'cp-test');
  });
  after(async () => {
    await plane?.stop();
  });

  it('serves /version as the Kubernetes release in test/e2e/k8s/go.mod', async () => {
    assert.ok(k8sVersion, 'test/e2e/k8s/go.mod names a k8s.io/kubernetes version');
    const version = JSON.parse(await plane.get('/version')) as { gitVersion: string };
    assert.equal(version.gitVersion, k8sVersion);
    const client = JSON.parse(await plane.kubectlOk(['version', '--client', '-o', 'json'])) as {
      clientVersion: { gitVersion: string };
    };
    assert.equal(client.clientVersion.gitVersion, k8sVersion);
  });

  it('the build is idempotent: concurrent runs find the cached binaries and build nothing', async () => {
    const script = join(import.meta.dirname, 'build-control-plane.sh');
    const runs = await Promise.all([0, 1].map(() => run('bash', [script])));
    for (const { stdout, stderr } of runs) {
      assert.equal(stdout.trim(), plane.binaries.dir);
      assert.doesNotMatch(stderr, /building/);
    }
  });

  it('serves the FlinkDeployment and FlinkSessionJob CRDs', async () => {
    const resources = await plane.kubectlOk(['api-resources', '--api-group=flink.apache.org', '-o', 'name']);
    assert.match(resources, /^flinkdeployments\.flink\.apache\.org$/m);
    assert.match(resources, /^flinksessionjobs\.flink\.apache\.org$/m);
  });

  it('answers client-node as the admin', async () => {
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    const sa = await core.readNamespacedServiceAccount({ name: 'flink', namespace: 'cp-test' });
    assert.equal(sa.metadata?.name, 'flink');
  });

  it('enforces RBAC for impersonated ServiceAccounts', async () => {
    const flink = serviceAccount('cp-test', 'flink');
    assert.equal((await plane.kubectl(['auth', 'can-i', 'delete', 'configmaps', '-n', 'cp-test'], { as: flink })).code, 0);
    const denied = await plane.kubectl(['get', 'secrets', '-n', 'cp-test'], { as: flink });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /forbidden/i);
  });

  it('rejects a Pod whose ServiceAccount does not exist (ServiceAccount admission is on)', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'no-such-sa', namespace: 'cp-test' },
      spec: { serviceAccountName: 'missing', containers: [{ name: 'c', image: 'busybox' }] },
    };
    const result = await plane.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /serviceaccount "missing" not found/i);
  });

  it('leaves no process or temp dir behind when the test process is killed outright', async () => {
    // SIGKILL runs no exit hook: only the watchdog can clean up.
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', 'hold-control-plane.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`hold-control-plane exited with ${code}`)));
    });
    const held = JSON.parse(line) as { pids: number[]; dir: string };
    for (const pid of held.pids) assert.doesNotThrow(() => process.kill(pid, 0), `process ${pid} runs`);
    child.kill('SIGKILL');
    const gone = (pid: number) => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    for (let i = 0; i < 100 && !(held.pids.every(gone) && !existsSync(held.dir)); i++) await sleep(100);
    for (const pid of held.pids) assert.ok(gone(pid), `process ${pid} was killed by the watchdog`);
    assert.equal(existsSync(held.dir), false, 'the temp dir was removed');
  });
});
