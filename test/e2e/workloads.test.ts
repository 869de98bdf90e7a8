// Mutation through the real API server: each Flink workload shape, created with kubectl or client-node, is
// stored with what HA needs; applying it again changes nothing; the webhook's warnings reach kubectl's output;
// a server-side dry run shows the mutated object and stores nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { BatchV1Api, CoreV1Api, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { createFlinkNamespace, startE2E, type E2E } from './harness/index.ts';

const NS = 'shapes';
const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const HA_TYPES = ['kubernetes', 'org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory'];

// Objects are read back as JSON and walked by path; a schema type per kind would add nothing here.
type Json = any;

/** Flink's flat `key: value` config (flink-conf.yaml) or nested config.yaml, flattened with dots. */
function flinkConf(text: string): Record<string, string> {
  const flat: Record<string, string> = {};
  const walk = (node: unknown, prefix: string) => {
    if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
      for (const [k, v] of Object.entries(node)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else flat[prefix] = String(node);
  };
  walk(yaml.load(text), '');
  return flat;
}

function haTypeOf(conf: Record<string, string>): string | undefined {
  return conf['high-availability.type'] ?? conf['high-availability'];
}

describe('Flink workloads admitted through the real API server', () => {
  let e2e: E2E;
  const get = async (resource: string): Promise<Json> =>
    JSON.parse(await e2e.plane.kubectlOk(['get', resource, '-n', NS, '-o', 'json']));
  /**
   * What a write by kubectl would change: the spec (or data), labels, annotations, the generation, and kubectl's
   * own managedFields entries. Not the resourceVersion: the controllers write status, and the Deployment
   * controller its revision annotation (left out here), at any moment.
   */
  const writtenByKubectl = async (resources: string[]) =>
    Promise.all(resources.map(async (r) => {
      const o = JSON.parse(await e2e.plane.kubectlOk(['get', r, '-n', NS, '-o', 'json', '--show-managed-fields']));
      // Which fields kubectl owns, not when it last touched them: kubectl's three-way patch re-sends the fields the
      // webhook changed (replicas, args) and the webhook sets them again, so the stored object is unchanged while the
      // entry's `time` (whole seconds) may move on.
      const kubectlFields = (o.metadata.managedFields as Json[])
        .filter((f) => (f.manager as string).startsWith('kubectl'))
        .map(({ time: _time, ...f }) => f);
      const { 'deployment.kubernetes.io/revision': _revision, ...annotations } = (o.metadata.annotations ?? {}) as Record<string, string>;
      return JSON.stringify({ r, generation: o.metadata.generation, labels: o.metadata.labels, annotations, content: o.spec ?? o.data, kubectlFields });
    }));

  before(async () => {
    e2e = await startE2E();
    await createFlinkNamespace(e2e.plane, NS);
  });
  after(async () => {
    await e2e?.stop();
  });

  const shapes: Array<{
    name: string;
    file: string;
    objects: string[];
    check: (objects: Json[]) => void;
  }> = [
    {
      name: 'FlinkDeployment',
      file: 'flinkdeployment.yaml',
      objects: ['flinkdeployment/basic-ha'],
      check: ([fd]) => {
        const conf = fd.spec.flinkConfiguration as Record<string, string>;
        assert.ok(HA_TYPES.includes(haTypeOf(conf) ?? ''), `HA type set: ${JSON.stringify(conf)}`);
        assert.equal(conf['high-availability.storageDir'], `s3://flink-ha/${NS}/basic-ha`);
        assert.ok(fd.spec.jobManager.replicas >= 2, 'standby JobManager');
        // The operator rejects these in a CR: the webhook must never add them.
        assert.equal(conf['kubernetes.cluster-id'], undefined);
        assert.equal(conf['high-availability.cluster-id'], undefined);
      },
    },
    {
      name: 'standalone session cluster (config ConfigMap, JobManager and TaskManager Deployments)',
      file: 'session-cluster.yaml',
      objects: ['configmap/flink-config', 'deployment/flink-jobmanager', 'deployment/flink-taskmanager'],
      check: ([cm, jm, tm]) => {
        const conf = flinkConf(cm.data['flink-conf.yaml']);
        assert.ok(HA_TYPES.includes(haTypeOf(conf) ?? ''), 'HA type in flink-conf.yaml');
        assert.match(conf['high-availability.storageDir'] ?? '', /^s3:\/\/flink-ha\/shapes\//);
        assert.equal(conf['kubernetes.namespace'], NS);
        assert.match(conf['kubernetes.cluster-id'] ?? '', /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
        assert.ok(jm.spec.replicas >= 2, 'standby JobManager');
        const container = jm.spec.template.spec.containers[0];
        assert.ok(container.env.some((e: Json) => e.name === 'POD_IP' && e.valueFrom.fieldRef.fieldPath === 'status.podIP'), `the JobManager gets POD_IP from status.podIP: ${JSON.stringify(container.env)}`);
        assert.deepEqual(container.args, ['jobmanager', '$(POD_IP)']);
        assert.equal(jm.spec.template.spec.serviceAccountName, 'flink');
        assert.equal(tm.spec.template.spec.serviceAccountName, 'flink');
      },
    },
    {
      name: 'standalone application cluster (JobManager Job)',
      file: 'application-job.yaml',
      objects: ['configmap/app-flink-config', 'job/flink-app-jobmanager'],
      check: ([cm, job]) => {
        const conf = flinkConf(cm.data['flink-conf.yaml']);
        assert.ok(HA_TYPES.includes(haTypeOf(conf) ?? ''), 'HA type in flink-conf.yaml');
        assert.ok(job.spec.parallelism >= 2, 'standby JobManager');
        const args = job.spec.template.spec.containers[0].args as string[];
        assert.equal(args[args.indexOf('--host') + 1], '$(POD_IP)');
        assert.equal(job.spec.template.spec.serviceAccountName, 'flink');
      },
    },
    {
      name: 'native JobManager Deployment with its flink-config-<cluster-id> ConfigMap',
      file: 'native-jobmanager.yaml',
      objects: ['configmap/flink-config-native-app', 'deployment/native-app'],
      check: ([cm, jm]) => {
        const conf = flinkConf(cm.data['config.yaml']);
        assert.ok(HA_TYPES.includes(haTypeOf(conf) ?? ''), 'HA type in config.yaml');
        assert.equal(conf['high-availability.storageDir'], `s3://flink-ha/${NS}/native-app`);
        assert.equal(conf['kubernetes.cluster-id'], 'native-app');
        assert.equal(jm.spec.template.spec.serviceAccountName, 'flink');
      },
    },
    {
      name: 'native TaskManager and JobManager Pods',
      file: 'pods.yaml',
      objects: ['pod/native-app-taskmanager-1-1', 'pod/native-app-jobmanager-pod'],
      check: ([tm, jm]) => {
        assert.equal(tm.spec.serviceAccountName, 'flink');
        assert.equal(jm.spec.serviceAccountName, 'flink');
      },
    },
  ];

  for (const shape of shapes) {
    it(`${shape.name}: kubectl apply stores the mutated object, warnings on kubectl's stderr`, async () => {
      const result = await e2e.plane.kubectl(['apply', '-n', NS, '-f', fixture(shape.file)]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^Warning: \[[a-z-]+\] /m, 'the webhook warnings reach kubectl');
      // The webhook's own lookups (ConfigMaps, ServiceAccounts, cluster-ids) work against the real API server.
      assert.doesNotMatch(result.stderr, /could not (be read|list|check)/);
      shape.check(await Promise.all(shape.objects.map(get)));
    });

    it(`${shape.name}: applying it again changes nothing`, async () => {
      const before = await writtenByKubectl(shape.objects);
      const again = await e2e.plane.kubectl(['apply', '-n', NS, '-f', fixture(shape.file)]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(await writtenByKubectl(shape.objects), before, 'no object was written again');
    });
  }

  it('client-node as the client: a created Pod and Job come back mutated', async () => {
    // A namespace of its own: the Job's `app` label would otherwise clash with flink-app-jobmanager's cluster-id.
    const ns = 'client-node';
    await createFlinkNamespace(e2e.plane, ns);
    const core = e2e.plane.kubeConfig.makeApiClient(CoreV1Api);
    const batch = e2e.plane.kubeConfig.makeApiClient(BatchV1Api);
    const [pod] = yaml.loadAll(readFileSync(fixture('pods.yaml'), 'utf8')) as V1Pod[];
    const created = await core.createNamespacedPod({ namespace: ns, body: pod! });
    assert.equal(created.spec?.serviceAccountName, 'flink');
    const job = (yaml.loadAll(readFileSync(fixture('application-job.yaml'), 'utf8')) as V1Job[])[1];
    const stored = await batch.createNamespacedJob({ namespace: ns, body: job! });
    assert.ok((stored.spec?.parallelism ?? 0) >= 2, `the stored Job keeps parallelism >= 2 (standby JobManager), got ${stored.spec?.parallelism}`);
    const read = await batch.readNamespacedJob({ namespace: ns, name: job!.metadata!.name! });
    assert.equal(read.spec?.template.spec?.serviceAccountName, 'flink');
  });

  it('kubectl apply --dry-run=server shows the mutation and stores nothing', async () => {
    const renamed = readFileSync(fixture('flinkdeployment.yaml'), 'utf8').replace('name: basic-ha', 'name: dry-run-ha');
    const result = await e2e.plane.kubectl(['apply', '-n', NS, '--dry-run=server', '-o', 'json', '-f', '-'], {
      input: renamed,
    });
    assert.equal(result.code, 0, result.stderr);
    const shown: Json = JSON.parse(result.stdout);
    assert.ok(HA_TYPES.includes(haTypeOf(shown.spec.flinkConfiguration) ?? ''), 'the dry run shows the mutation');
    // The same decision as the real create of the same object (basic-ha above), up to the name in storageDir.
    const created = await get('flinkdeployment/basic-ha');
    assert.deepEqual(
      JSON.parse(JSON.stringify(shown.spec).replaceAll('dry-run-ha', 'basic-ha')),
      created.spec,
      'dry run and real create mutate alike',
    );
    const stored = await e2e.plane.kubectl(['get', 'flinkdeployment/dry-run-ha', '-n', NS]);
    assert.notEqual(stored.code, 0);
    assert.match(stored.stderr, /not found/);
  });

  // The exempt label is retired (issue 22): whoever may label a namespace could exempt it, forever. It exempts
  // nothing now (legacyExemptLabel keeps it for one release); FlinkHAExceptions replace it (test/e2e/exceptions.test.ts).
  it('namespace labels read from the API server: the retired exempt label exempts nothing and says so, a warn namespace only warns', async () => {
    await createFlinkNamespace(e2e.plane, 'exempted', {
      labels: { 'flink-ha.io/exempt': 'true' },
    });
    const exempt = await e2e.plane.kubectl(['apply', '-n', 'exempted', '-f', fixture('session-cluster.yaml')]);
    assert.equal(exempt.code, 0, exempt.stderr);
    assert.match(exempt.stderr, /^Warning: \[legacy-exempt-label\] its namespace exempted carries flink-ha\.io\/exempt=true, which no longer exempts anything/m, exempt.stderr);
    const jm: Json = JSON.parse(await e2e.plane.kubectlOk(['get', 'deployment/flink-jobmanager', '-n', 'exempted', '-o', 'json']));
    assert.equal(jm.spec.replicas, 2, 'mutated as in any namespace');

    await createFlinkNamespace(e2e.plane, 'warned', { labels: { 'flink-ha.io/mode': 'warn' } });
    const warned = await e2e.plane.kubectl(['apply', '-n', 'warned', '-f', fixture('session-cluster.yaml')]);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /^Warning: \[standby-jobmanagers\] would /m);
    const wjm: Json = JSON.parse(await e2e.plane.kubectlOk(['get', 'deployment/flink-jobmanager', '-n', 'warned', '-o', 'json']));
    assert.equal(wjm.spec.replicas, 1, 'warn mode does not mutate');
  });

  it('without the HA ServiceAccount: workloads are denied with the fix, Pods are let through with a warning', async () => {
    // The API server's ServiceAccount admission rejects a Pod whose ServiceAccount does not exist, so binding
    // `flink` where it is missing would break the workload: the webhook must answer with the fix instead.
    await createFlinkNamespace(e2e.plane, 'no-flink-sa');
    await e2e.plane.kubectlOk(['delete', 'serviceaccount/flink', '-n', 'no-flink-sa']);
    const deployments = await e2e.plane.kubectl(['apply', '-n', 'no-flink-sa', '-f', fixture('session-cluster.yaml')]);
    assert.notEqual(deployments.code, 0);
    assert.match(deployments.stderr, /denied the request: .*\[ha-service-account\].*ServiceAccount flink does not exist in no-flink-sa.*Fix: flink-ha-webhook onboard -n no-flink-sa --service-account flink \| kubectl apply -f -/);
    const pods = await e2e.plane.kubectl(['apply', '-n', 'no-flink-sa', '-f', fixture('pods.yaml')]);
    assert.equal(pods.code, 0, pods.stderr);
    assert.match(pods.stderr, /^Warning: \[ha-service-account\] .*ServiceAccount flink does not exist/m);
    const pod: Json = JSON.parse(
      await e2e.plane.kubectlOk(['get', 'pod/native-app-taskmanager-1-1', '-n', 'no-flink-sa', '-o', 'json']),
    );
    assert.equal(pod.spec.serviceAccountName, 'default', 'left on the ServiceAccount that exists');
  });
});
