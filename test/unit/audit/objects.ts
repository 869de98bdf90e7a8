// Small realistic objects for the audit tests: Flink's HA ConfigMaps as Flink 1.15+ writes them, a FlinkDeployment,
// standalone JobManagers. Shapes follow /work/shared/FLINK-HA-FACTS.md (labels, names, data keys).
import type { KubeObject } from '../../../src/kube/objects.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { haConfigMapMatchConditions, namespaceMatchConditions, workloadMatchConditions } from '../../../src/policy/webhook-conditions.ts';

export const JOB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

export function haConfigMap(namespace: string, clusterId: string, suffix = 'cluster-config-map', data: Record<string, string> = {}, extra: Partial<NonNullable<KubeObject['metadata']>> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${clusterId}-${suffix}`, namespace, labels: { app: clusterId, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' }, ...extra },
    data,
  };
}

export function flinkDeployment(namespace: string, name: string, replicas = 2, serviceAccount = 'flink'): KubeObject {
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace },
    spec: {
      image: 'flink:1.20',
      flinkVersion: 'v1_20',
      serviceAccount,
      flinkConfiguration: { 'high-availability.type': 'kubernetes', 'high-availability.storageDir': `s3://ha/${namespace}/${name}` },
      jobManager: { replicas, resource: { memory: '2048m', cpu: 1 } },
      taskManager: { resource: { memory: '2048m', cpu: 1 } },
    },
  };
}

export function standaloneJobManager(namespace: string, name: string, app: string, replicas = 2, serviceAccount = 'flink', extra: Partial<NonNullable<KubeObject['metadata']>> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, ...extra },
    spec: {
      replicas,
      selector: { matchLabels: { app, component: 'jobmanager' } },
      template: {
        metadata: { labels: { app, component: 'jobmanager' } },
        spec: { serviceAccountName: serviceAccount, containers: [{ name: 'jobmanager', image: 'flink:1.20', args: ['jobmanager', '$(POD_IP)'] }] },
      },
    },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

/** The validating configuration of the project's registration design (only the fields the coverage check reads). */
export function validatingConfig(failurePolicy = 'Fail', excluded = ['kube-system', 'flink-ha-webhook']): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'flink-ha-webhook' },
    webhooks: [
      {
        name: 'ha-configmaps.flink-ha.io',
        failurePolicy,
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: excluded }] },
        objectSelector: { matchExpressions: [{ key: 'type', operator: 'In', values: ['flink-native-kubernetes'] }] },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], operations: ['CREATE', 'UPDATE', 'DELETE'] }],
        matchConditions: haConfigMapMatchConditions(defaultConfig()),
      },
      // The namespaces entries carry the generated conditions too (webhook-coverage compares them since issue 19).
      { name: 'namespaces.flink-ha.io', failurePolicy: 'Fail', rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['DELETE', 'UPDATE'] }], matchConditions: namespaceMatchConditions(defaultConfig()).labelled },
      { name: 'releasing-namespaces.flink-ha.io', failurePolicy: 'Fail', rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['CREATE', 'UPDATE'] }], matchConditions: namespaceMatchConditions(defaultConfig()).release },
    ],
  };
}

export function mutatingConfig(): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'flink-ha-webhook' },
    webhooks: [{ name: 'workloads.flink-ha.io', failurePolicy: 'Ignore', rules: [{ resources: ['pods'], operations: ['CREATE'] }], matchConditions: workloadMatchConditions(defaultConfig()) }],
  };
}
