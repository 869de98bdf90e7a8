// The namespaces a live audit is tested against: what a platform team finds before it turns enforcement on.
// Each namespace shows one situation; the audit test asserts exactly the findings each must produce.
import type { KubeObject } from '../../src/kube/objects.ts';

const JOB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
/** Stands for the uid of an owner created with the seed: replaced by the live uid before the dependent is created. */
export const OWNER_UID_FROM_CLUSTER = 'owner-uid-from-cluster';
const ha = { 'high-availability.type': 'kubernetes' };

export function flinkDeployment(namespace: string, name: string, opts: { replicas?: number; serviceAccount?: string; config?: Record<string, string>; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace, labels: opts.labels, annotations: opts.annotations },
    spec: {
      image: 'flink:1.20',
      flinkVersion: 'v1_20',
      serviceAccount: opts.serviceAccount ?? 'flink',
      // The checkpoint dir the operator's validator requires of a last-state job (the checkpoint-dir rule).
      flinkConfiguration: opts.config ?? { ...ha, 'high-availability.storageDir': `s3://flink-ha/${namespace}/${name}`, 'execution.checkpointing.dir': `s3://flink-checkpoints/${namespace}/${name}` },
      jobManager: { replicas: opts.replicas ?? 2, resource: { memory: '2048m', cpu: 1 } },
      taskManager: { resource: { memory: '2048m', cpu: 1 } },
      job: { jarURI: 'local:///opt/flink/examples/streaming/StateMachineExample.jar', parallelism: 2, upgradeMode: 'last-state' },
    },
  };
}

/** The two HA ConfigMaps of a Flink 1.15+ cluster with one job (labels, names and keys as Flink writes them). */
export function haState(namespace: string, clusterId: string, checkpoints: number[] = [41, 42], metadata: Partial<NonNullable<KubeObject['metadata']>> = {}): KubeObject[] {
  const labels = { app: clusterId, type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' };
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${clusterId}-cluster-config-map`, namespace, labels, annotations: { 'control-plane.alpha.kubernetes.io/leader': '{"holderIdentity":"6f1c2d8e","leaseDuration":15.0}' }, ...metadata },
      data: { 'org.apache.flink.k8s.leader.dispatcher': 'pekko.tcp://flink@10.0.0.5:6123/user/rpc/dispatcher_1', [`jobGraph-${JOB}`]: 'rO0ABXNy' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${clusterId}-${JOB}-config-map`, namespace, labels },
      data: { counter: String(Math.max(...checkpoints) + 1), ...Object.fromEntries(checkpoints.map((c) => [`checkpointID-${String(c).padStart(19, '0')}`, 'rO0ABXNy'])) },
    },
  ];
}

export function standaloneJobManager(namespace: string, name: string, app: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app, component: 'jobmanager', instance: name } },
      template: {
        metadata: { labels: { app, component: 'jobmanager', instance: name } },
        spec: {
          serviceAccountName: 'flink',
          containers: [
            {
              name: 'jobmanager',
              image: 'flink:1.20',
              args: ['jobmanager', '$(POD_IP)'],
              env: [
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'FLINK_PROPERTIES', value: `kubernetes.cluster-id: ${app}\nhigh-availability.type: kubernetes\nhigh-availability.storageDir: s3://flink-ha/${namespace}/${app}\nkubernetes.namespace: ${namespace}\n` },
              ],
            },
          ],
        },
      },
    },
  };
}

/** Namespace → what goes in it (the namespace itself, its `flink` ServiceAccount and Role come from the harness). */
export const SEED: Record<string, KubeObject[]> = {
  // Compliant: a FlinkDeployment with HA, standbys and its HA state; an exempt throwaway cluster beside it, halfway
  // through the migration (docs/exceptions.md): its FlinkHAException is in, the retired label not yet removed.
  'team-a': [
    flinkDeployment('team-a', 'orders'),
    ...haState('team-a', 'orders'),
    flinkDeployment('team-a', 'scratch', { replicas: 1, config: {}, labels: { 'flink-ha.io/exempt': 'true' }, annotations: { 'flink-ha.io/exempt-reason': 'notebook cluster, no state worth keeping' } }),
  ],
  // Two standalone session clusters that both run as cluster-id "analytics".
  'team-bi': [standaloneJobManager('team-bi', 'analytics-blue', 'analytics'), standaloneJobManager('team-bi', 'analytics-green', 'analytics'), ...haState('team-bi', 'analytics')],
  // HA state of a cluster that was deleted: the next cluster named "old" resumes job a1b2... at checkpoint 12.
  'team-c': haState('team-c', 'old', [11, 12]),
  // An HA ConfigMap that a tool gave an ownerReference (to its release record). The owner must exist: the garbage
  // collector deletes a dependent whose owner is gone. The audit test fills in the owner's uid once it is created.
  'team-pay': [
    flinkDeployment('team-pay', 'payments'),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'payments-release', namespace: 'team-pay' }, data: { release: 'payments-1' } },
    ...haState('team-pay', 'payments', [7], { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'payments-release', uid: OWNER_UID_FROM_CLUSTER }] }),
  ],
  // A ServiceAccount without ConfigMap rights, and one that does not exist.
  'team-d': [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nohands', namespace: 'team-d' } },
    flinkDeployment('team-d', 'reports', { serviceAccount: 'nohands' }),
    ...haState('team-d', 'reports'),
    flinkDeployment('team-d', 'ghost', { serviceAccount: 'ghost' }),
    ...haState('team-d', 'ghost'),
  ],
  // Three JobManagers and no HA state at all.
  'team-e': [flinkDeployment('team-e', 'fresh', { replicas: 3 })],
  // HA state in a namespace the platform team excluded from the webhook.
  'legacy-batch': [flinkDeployment('legacy-batch', 'nightly'), ...haState('legacy-batch', 'nightly')],
};

/** The exception that exempts team-a/scratch, in the webhook's namespace (where exceptions count by default). */
export const SEED_EXCEPTION: KubeObject = {
  apiVersion: 'flink-ha.io/v1alpha1',
  kind: 'FlinkHAException',
  metadata: { name: 'team-a-scratch', namespace: 'flink-ha-webhook' },
  spec: {
    match: { namespaces: ['team-a'], kinds: ['FlinkDeployment'], names: ['scratch'] },
    rules: ['*'],
    reason: 'notebook cluster, no state worth keeping',
    ticket: 'PLAT-101',
    expires: '2099-12-31T00:00:00Z',
  },
};
