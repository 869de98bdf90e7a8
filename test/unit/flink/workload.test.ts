import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../../src/flink/workload.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { fixture, withField } from '../../support/policy.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

const patterns = defaultConfig().imagePatterns.map((p) => new RegExp(p));
const shapeOf = (o: KubeObject): string => {
  const c = classify(o, patterns);
  return c.shape === 'workload' ? `${c.mode} ${c.role} ${c.controller} ${c.variant}` : c.shape;
};

describe('classify', () => {
  const rows: Array<[string, KubeObject, string]> = [
    ['operator FlinkDeployment', fixture('upstream/basic.yaml', 'FlinkDeployment'), 'flinkdeployment'],
    ['standalone session JobManager Deployment', fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment'), 'standalone jobmanager Deployment session'],
    ['standalone application JobManager Job', fixture('upstream/jobmanager-application-ha.yaml', 'Job'), 'standalone jobmanager Job application'],
    ['standalone TaskManager Deployment', fixture('flink/taskmanager-session-deployment.yaml', 'Deployment'), 'standalone taskmanager Deployment session'],
    ['native JobManager Deployment', fixture('flink/native-jobmanager.yaml', 'Deployment'), 'native jobmanager Deployment session'],
    ['native TaskManager Pod', fixture('flink/native-taskmanager-pod.yaml', 'Pod'), 'native taskmanager Pod session'],
    ['standalone config ConfigMap', fixture('upstream/flink-configuration-configmap.yaml', 'ConfigMap'), 'flink-config'],
    ['native config ConfigMap (config.yaml)', fixture('flink/native-jobmanager.yaml', 'ConfigMap'), 'flink-config'],
    ['HA ConfigMap (labels)', fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-cluster-config-map'), 'ha-configmap'],
    ['HA ConfigMap (1.12-1.14 name pattern + app/type labels)', fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'legacy-app-dispatcher-leader'), 'ha-configmap'],
    // Deny-side counterpart: the operator chart's own config is no Flink cluster's (mutating it broke every
    // FlinkDeployment in the real-operator e2e test), while a cluster's flink-conf.yaml still is (row above).
    ["the operator chart's flink-operator-config (flink-conf.yaml + log4j-operator.properties)", { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flink-operator-config', namespace: 'flink-operator-system' }, data: { 'flink-conf.yaml': 'kubernetes.operator.reconcile.interval: 15 s\ntaskmanager.numberOfTaskSlots: 1\n', 'log4j-operator.properties': 'rootLogger.level = INFO\n', 'log4j-console.properties': 'rootLogger.level = INFO\n' } }, 'other'],
    ['a ConfigMap named config.yaml of another app', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'grafana' }, data: { 'config.yaml': 'server:\n  port: 3000\n' } }, 'other'],
    ['an nginx Deployment', withField(fixture('flink/taskmanager-session-deployment.yaml', 'Deployment'), 'spec.template.spec.containers', [{ name: 'web', image: 'nginx:1.27' }]), 'other'],
    ['a custom Flink image recognised by its entrypoint args', withField(fixture('flink/taskmanager-session-deployment.yaml', 'Deployment'), 'spec.template.spec.containers', [{ name: 'tm', image: 'registry.example.com/streaming/engine:7', args: ['taskmanager'] }]), 'standalone taskmanager Deployment session'],
    ['a Flink-labelled Deployment with no readable pod spec', withField(fixture('flink/taskmanager-session-deployment.yaml', 'Deployment'), 'spec.template.spec', 'oops'), 'invalid'],
    ['a Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }, 'namespace'],
    ['a FlinkSessionJob (audited against its session cluster, never mutated)', fixture('upstream/basic-session-deployment-and-job.yaml', 'FlinkSessionJob'), 'flink-session-job'],
  ];
  for (const [name, obj, expected] of rows) it(name, () => assert.equal(shapeOf(obj), expected));

  it('marks operator-owned workloads (ownerReference or generation annotation)', () => {
    const owned = withField(fixture('flink/native-jobmanager.yaml', 'Deployment'), 'metadata.ownerReferences', [{ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', name: 'orders-etl', uid: 'u' }]);
    const c = classify(owned, patterns);
    assert.ok(c.shape === 'workload' && c.operatorOwned && c.mode === 'operator', `an operator-owned workload: ${JSON.stringify(c)}`);
  });
});
