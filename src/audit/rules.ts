// One line per rule id, for the reports that describe rules apart from findings (SARIF's rule list, JUnit test
// names, PolicyReport categories). Findings carry their own message and fix; these are the rule-level texts.
import type { AuditRuleId } from './types.ts';

export interface RuleInfo {
  title: string;
  /** What to do, in general; a finding's own `fix` is more specific. */
  help: string;
  /** `policy`: judged per object by the webhook's policy; `cluster`: only a whole cluster shows it. */
  scope: 'policy' | 'cluster';
}

export const RULES: Record<AuditRuleId, RuleInfo> = {
  'ha-enabled': {
    title: 'Kubernetes HA is enabled',
    help: 'Set high-availability.type: kubernetes in the Flink configuration the workload reads.',
    scope: 'policy',
  },
  'ha-storage-dir': {
    title: 'HA storage directory is set',
    help: 'Set high-availability.storageDir to a shared file system (s3://, hdfs://, gs://, abfs://).',
    scope: 'policy',
  },
  'cluster-id': {
    title: 'Cluster-id is valid and unique in its namespace',
    help: 'Give every Flink cluster of a namespace its own kubernetes.cluster-id, the same for all of its processes.',
    scope: 'policy',
  },
  'ha-namespace': {
    title: 'kubernetes.namespace matches the workload namespace',
    help: 'Set kubernetes.namespace to the namespace the standalone cluster runs in.',
    scope: 'policy',
  },
  'standby-jobmanagers': {
    title: 'Standby JobManagers are configured',
    help: 'Run at least two JobManagers (spec.jobManager.replicas, kubernetes.jobmanager.replicas or the JobManager replicas).',
    scope: 'policy',
  },
  'pod-ip-address': {
    title: 'Standalone JobManagers advertise their pod IP',
    help: 'Add env POD_IP from status.podIP and pass $(POD_IP) as the JobManager host argument.',
    scope: 'policy',
  },
  'ha-service-account': {
    title: 'Flink pods run as a ServiceAccount that may manage ConfigMaps',
    help: 'Run JobManagers and TaskManagers as the HA ServiceAccount and bind it a Role with get/list/watch/create/update/delete on configmaps.',
    scope: 'policy',
  },
  'protect-ha-configmap': {
    title: 'HA ConfigMaps are deleted only by their owners',
    help: 'Let Flink or the operator delete HA state, or annotate the ConfigMap as released first.',
    scope: 'policy',
  },
  'no-owner-reference': {
    title: 'HA ConfigMaps carry no ownerReference',
    help: 'Remove the ownerReference: the garbage collector deletes the HA ConfigMap (and the checkpoint pointers) with its owner.',
    scope: 'policy',
  },
  'no-ha-data-strip': {
    title: 'HA data keys and labels are not stripped',
    help: 'Do not apply stale copies of HA ConfigMaps; keep them out of git, Helm charts and Argo CD/Flux syncs.',
    scope: 'policy',
  },
  'protect-namespace': {
    title: 'Namespaces holding HA state are not deleted',
    help: 'Move or release the HA state (annotate the namespace as released) before deleting the namespace.',
    scope: 'policy',
  },
  'policy-error': {
    title: 'The policy could not judge the object',
    help: 'Fix the object so that it parses (the message names the field), or report a bug.',
    scope: 'policy',
  },
  'orphaned-ha-state': {
    title: 'HA state belongs to a running Flink cluster',
    help: 'Delete the HA ConfigMaps of a cluster that is gone for good, or start the cluster again to resume its jobs.',
    scope: 'cluster',
  },
  'standby-without-ha-state': {
    title: 'Clusters with standby JobManagers keep HA state',
    help: 'Standby JobManagers without Kubernetes HA never take over: enable HA, or run a single JobManager.',
    scope: 'cluster',
  },
  'webhook-coverage': {
    title: 'The webhook guards every namespace with HA state',
    help: 'Install the flink-ha-webhook configurations and make their namespaceSelector match the namespace.',
    scope: 'cluster',
  },
  'audit-permission': {
    title: 'The audit could read what it needs',
    help: 'Grant the audit the read rights of manifests/audit-reader-clusterrole.yaml.',
    scope: 'cluster',
  },
};
