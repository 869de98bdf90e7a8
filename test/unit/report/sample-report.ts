// One audit report with a finding of every action, from a manifest and from a cluster, for the report tests.
import type { AuditReport } from '../../../src/audit/types.ts';

export function sampleReport(): AuditReport {
  return {
    source: { type: 'manifests', inputs: ['test/fixtures/audit'] },
    objects: 4,
    findings: [
      { rule: 'ha-enabled', action: 'mutated', message: 'set high-availability.type: kubernetes', fix: 'set it', kind: 'FlinkDeployment', apiVersion: 'flink.apache.org/v1beta1', namespace: 'team-a', name: 'orders', file: 'test/fixtures/audit/team a/orders.yaml', line: 3, clusterId: 'orders' },
      { rule: 'ha-storage-dir', action: 'denied', message: 'no storageDir <s3://?> & "quotes"', fix: 'set high-availability.storageDir', kind: 'FlinkDeployment', apiVersion: 'flink.apache.org/v1beta1', namespace: 'team-a', name: 'orders', file: 'test/fixtures/audit/team a/orders.yaml', line: 3, clusterId: 'orders' },
      { rule: 'standby-jobmanagers', action: 'passed', message: 'two JobManagers', kind: 'FlinkDeployment', namespace: 'team-a', name: 'orders', file: 'test/fixtures/audit/team a/orders.yaml', line: 3, clusterId: 'orders' },
      { rule: 'ha-enabled', action: 'exempt', message: 'exempt: flink-ha.io/exempt-reason=batch only', kind: 'Deployment', apiVersion: 'apps/v1', namespace: 'team-b', name: 'batch-jm', file: 'test/fixtures/audit/batch.yaml', line: 12 },
      { rule: 'ha-service-account', action: 'unchecked', message: 'could not check ServiceAccount flink', kind: 'Deployment', apiVersion: 'apps/v1', namespace: 'team-b', name: 'batch-jm', file: 'test/fixtures/audit/batch.yaml', line: 12 },
      { rule: 'orphaned-ha-state', action: 'warned', message: 'HA state of old has no cluster', fix: 'delete it', kind: 'ConfigMap', apiVersion: 'v1', namespace: 'team-c', name: 'old-cluster-config-map', clusterId: 'old' },
      { rule: 'webhook-coverage', action: 'warned', message: 'no ValidatingWebhookConfiguration', fix: 'install it', kind: 'ValidatingWebhookConfiguration', apiVersion: 'admissionregistration.k8s.io/v1', name: 'flink-ha-webhook' },
      { rule: 'policy-error', action: 'error', message: 'the policy failed\u0001 on this object', kind: 'Pod', namespace: 'team-c', name: 'weird' },
    ],
    errors: [{ where: 'test/fixtures/audit/broken.yaml:4', message: 'YAML syntax error: bad indentation' }],
  };
}
