// Documented defaults: a config file, env vars and flags override these field by field.
import type { WebhookConfig } from './types.ts';

export const DEFAULT_CONFIG: WebhookConfig = {
  haServiceAccount: 'flink',
  operatorServiceAccounts: ['flink-operator'],
  allowedPrincipals: [],
  storageDirTemplate: undefined,
  checkpointDirTemplate: undefined,
  savepointDirTemplate: undefined,
  minJobManagers: 2,
  excludedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
  mode: 'enforce',
  namespaceModes: {},
  imagePatterns: ['(^|/)flink(:|@|$)', '(^|/)apache/flink(:|@|$)', '(^|/)flink-[a-z0-9-]+(:|@|$)'],
  exemptLabel: 'flink-ha.io/exempt',
  exemptReasonAnnotation: 'flink-ha.io/exempt-reason',
  releaseAnnotation: 'flink-ha.io/release',
  modeLabel: 'flink-ha.io/mode',
  guardMode: 'enforce',
  requirePodBoundToken: true,
  haStateNamespaceLabel: 'flink-ha.io/ha-state',
  // No label: tools select on labels (Argo CD tracking, velero.io/exclude-from-backup, the operator's
  // component=autoscaler), so a label on HA state changes who reads it. One human note, inert to every tool.
  nonOwnerMetadata: { labels: [], annotations: ['kubernetes.io/description'], maxBytes: 4096 },
  mutationFailurePolicy: 'Ignore',
  tls: {
    certDir: 'certs',
    certFile: 'tls.crt',
    keyFile: 'tls.key',
    caFile: 'ca.crt',
    reloadIntervalMs: 2000,
  },
  server: {
    host: '0.0.0.0',
    port: 8443,
    serviceDnsNames: [
      'flink-ha-webhook',
      'flink-ha-webhook.flink-ha-webhook',
      'flink-ha-webhook.flink-ha-webhook.svc',
      'flink-ha-webhook.flink-ha-webhook.svc.cluster.local',
    ],
    shutdownDeadlineMs: 25000,
    drainDelayMs: 3000,
    keepAliveTimeoutMs: 65000,
    headersTimeoutMs: 10000,
    requestTimeoutMs: 30000,
    tlsHandshakeTimeoutMs: 10000,
    maxInflightBodyBytes: 64 * 1024 * 1024,
  },
  logLevel: 'info',
  webhookNamespace: 'flink-ha-webhook',
};
