// Properties that must hold for every input: a mutation applied twice yields no second patch; the policy never
// throws; and nothing destructive to HA state is allowed when the policy cannot decide.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../support/fast-check-seed.ts'; // FC_SEED replays a failure
import jsonPatch from 'fast-json-patch';
import { decide } from '../../../src/policy/decide.ts';
import type { ClusterView, PolicyRequest } from '../../../src/policy/types.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';
import { fakeCluster, PERSON, TEMPLATE_CONFIG } from '../../support/policy.ts';

const config = TEMPLATE_CONFIG();
const haValues = fc.constantFrom(undefined, 'kubernetes', 'KUBERNETES', 'zookeeper', 'org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory');
const flinkVersions = fc.constantFrom(undefined, 'v1_16', 'v1_18', 'v1_20', 'v2_2');
const images = fc.constantFrom('flink:1.16.3', 'flink:1.20.1-scala_2.12-java17', 'apache/flink:2.2', 'flink:latest');
const names = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);
const replicas = fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined });
const saNames = fc.constantFrom(undefined, 'default', 'flink', 'custom-sa');

const flinkDeployment = fc.record({ name: names, ha: haValues, nested: fc.boolean(), storage: fc.option(fc.constant('s3://b/ha'), { nil: undefined }), version: flinkVersions, jm: replicas, sa: saNames })
  .map(({ name, ha, nested, storage, version, jm, sa }): KubeObject => {
    const conf: Record<string, unknown> = { 'taskmanager.numberOfTaskSlots': '2' };
    if (nested) conf['high-availability'] = { ...(ha ? { type: ha } : {}), ...(storage ? { storageDir: storage } : {}) };
    else { if (ha) conf['high-availability.type'] = ha; if (storage) conf['high-availability.storageDir'] = storage; }
    return { apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', metadata: { name }, spec: { image: 'flink:2.2', ...(version ? { flinkVersion: version } : {}), ...(sa ? { serviceAccount: sa } : {}), flinkConfiguration: conf, jobManager: jm === undefined ? {} : { replicas: jm }, taskManager: {} } };
  });

const standalone = fc.record({
  kind: fc.constantFrom('Deployment', 'StatefulSet', 'Job', 'Pod'),
  role: fc.constantFrom('jobmanager', 'standalone-job', 'taskmanager'),
  app: fc.option(names, { nil: undefined }),
  image: images, replicas, sa: saNames,
  dArgs: fc.subarray(['-Dhigh-availability.type=kubernetes', '-Dkubernetes.cluster-id=abc', '-Dhigh-availability.storageDir=s3://x']),
  podIp: fc.boolean(), host: fc.boolean(), mount: fc.boolean(),
}).map(({ kind, role, app, image, replicas: r, sa, dArgs, podIp, host, mount }): KubeObject => {
  const args = role === 'jobmanager' ? ['jobmanager', ...(host ? ['$(POD_IP)'] : [])] : role === 'standalone-job' ? ['standalone-job', ...(host ? ['--host', '$(POD_IP)'] : []), '--job-classname', 'com.example.Job'] : ['taskmanager'];
  const container = { name: 'flink', image, args: [...args, ...dArgs], ...(podIp ? { env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] } : {}), ...(mount ? { volumeMounts: [{ name: 'conf', mountPath: '/opt/flink/conf' }] } : {}) };
  const podSpec = { ...(sa ? { serviceAccountName: sa } : {}), containers: [container], ...(mount ? { volumes: [{ name: 'conf', configMap: { name: 'flink-config' } }] } : {}) };
  const labels = { ...(app ? { app } : {}), component: role === 'taskmanager' ? 'taskmanager' : 'jobmanager' };
  if (kind === 'Pod') return { apiVersion: 'v1', kind, metadata: { name: 'p', labels }, spec: podSpec };
  const countField = kind === 'Job' ? 'parallelism' : 'replicas';
  return { apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, metadata: { name: 'w', labels }, spec: { ...(r === undefined ? {} : { [countField]: r }), template: { metadata: { labels }, spec: podSpec } } };
});

const configMap = fc.record({ file: fc.constantFrom('flink-conf.yaml', 'config.yaml'), app: fc.option(names, { nil: undefined }), ha: haValues, nested: fc.boolean(), native: fc.boolean() })
  .map(({ file, app, ha, nested, native }): KubeObject => {
    let text = 'taskmanager.numberOfTaskSlots: 2\n';
    if (ha) text += nested && file === 'config.yaml' ? `high-availability:\n  type: ${ha}\n` : `high-availability.type: ${ha}\n`;
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: native && app ? `flink-config-${app}` : 'flink-config', labels: { ...(app ? { app } : {}), ...(native ? { type: 'flink-native-kubernetes' } : {}) } }, data: { [file]: text } };
  });

const workloads = fc.oneof(flinkDeployment, standalone, configMap);
const create = (object: KubeObject): PolicyRequest => ({ operation: 'CREATE', object: { ...object, metadata: { ...object.metadata, namespace: 'default' } }, oldObject: null, requester: PERSON, dryRun: false });

describe('policy properties', () => {
  it('a mutation applied and mutated again yields no second patch', async () => {
    let mutated = 0;
    await fc.assert(fc.asyncProperty(workloads, async (obj) => {
      const cluster = fakeCluster();
      const first = await decide(create(obj), { config, cluster }, 'mutate');
      if (!first.allowed || first.patch.length === 0) return;
      mutated++;
      const patched = jsonPatch.applyPatch(structuredClone(create(obj).object), structuredClone(first.patch), true, false).newDocument as KubeObject;
      const second = await decide(create(patched), { config, cluster }, 'mutate');
      assert.equal(second.allowed, true, JSON.stringify(second.findings));
      assert.deepEqual(second.patch, [], `second patch for ${JSON.stringify(patched)}`);
    }), { numRuns: 400 });
    assert.ok(mutated > 100, `the generator must produce objects that get mutated (${mutated} of 400 did)`);
  });

  it('never throws, whatever the object, and always answers allowed true or false', async () => {
    const kinds = fc.constantFrom('FlinkDeployment', 'Deployment', 'Job', 'StatefulSet', 'Pod', 'ConfigMap', 'Namespace', 'Secret');
    const apiVersions = fc.constantFrom('flink.apache.org/v1beta1', 'apps/v1', 'batch/v1', 'v1', undefined);
    const junk = fc.record({ kind: kinds, apiVersion: apiVersions, metadata: fc.option(fc.record({ name: fc.string(), labels: fc.dictionary(fc.constantFrom('app', 'component', 'type', 'configmap-type'), fc.constantFrom('jobmanager', 'taskmanager', 'flink-native-kubernetes', 'high-availability', 'x')) }), { nil: undefined }), spec: fc.anything(), data: fc.anything() });
    await fc.assert(fc.asyncProperty(junk, fc.constantFrom('CREATE', 'UPDATE', 'DELETE'), fc.constantFrom('mutate', 'validate', 'both'), async (obj, op, phase) => {
      const o = obj as unknown as KubeObject;
      const d = await decide({ operation: op, object: op === 'DELETE' ? null : o, oldObject: op === 'CREATE' ? null : o, requester: PERSON, dryRun: false }, { config, cluster: fakeCluster() }, phase);
      assert.equal(typeof d.allowed, 'boolean');
      if (!d.allowed) assert.ok(d.status && d.status.message.length > 0, `a denial carries a message: ${JSON.stringify(d.status)}`);
    }), { numRuns: 500 });
  });

  it('never allows a person to delete or strip HA state when the cluster view fails', async () => {
    const failing: ClusterView = {
      namespaceMeta: () => Promise.reject(new Error('connection refused')),
      serviceAccountExists: () => Promise.reject(new Error('connection refused')),
      serviceAccountCanManageConfigMaps: () => Promise.reject(new Error('connection refused')),
      flinkClusterIds: () => Promise.reject(new Error('connection refused')),
      namespaceHoldsHaState: () => Promise.reject(new Error('connection refused')),
    };
    const haCm = fc.record({ app: names, keys: fc.uniqueArray(fc.constantFrom('counter', 'checkpointID-0000000000000000007', 'jobGraph-00000000000000000000000000000000', 'address'), { minLength: 1 }) })
      .map(({ app, keys }): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${app}-cluster-config-map`, namespace: 'default', labels: { app, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } }, data: Object.fromEntries(keys.map((k) => [k, 'v'])) }));
    await fc.assert(fc.asyncProperty(haCm, fc.boolean(), async (cm, strip) => {
      const req: PolicyRequest = strip
        ? { operation: 'UPDATE', object: { ...cm, data: {} }, oldObject: cm, requester: PERSON, dryRun: false }
        : { operation: 'DELETE', object: null, oldObject: cm, requester: PERSON, dryRun: false };
      const d = await decide(req, { config, cluster: failing }, 'validate');
      assert.equal(d.allowed, false);
    }), { numRuns: 200 });
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'streaming' } };
    assert.equal((await decide({ operation: 'DELETE', object: null, oldObject: ns, requester: PERSON, dryRun: false }, { config, cluster: failing }, 'validate')).allowed, false);
  });
});
