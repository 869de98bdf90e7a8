// The one typed configuration object. It is read and validated once, at the edge (src/config/load.ts),
// and passed down; no other module reads files or process.env for configuration.

export type Mode = 'enforce' | 'warn' | 'audit';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type FailurePolicy = 'Fail' | 'Ignore';

export interface WebhookConfig {
  /** ServiceAccount that Flink JobManagers and TaskManagers run as, in every namespace. */
  haServiceAccount: string;
  /** The Flink Kubernetes Operator's ServiceAccount(s): `name` (any namespace) or `namespace:name`. */
  operatorServiceAccounts: string[];
  /** Extra usernames or groups that may delete or rewrite HA ConfigMaps (for example a break-glass group). */
  allowedPrincipals: string[];
  /** Where HA metadata goes, with `{namespace}` and `{clusterId}` placeholders. No default: we never invent one. */
  storageDirTemplate?: string;
  /** Fewest JobManagers a Flink cluster may run with (1 active + standbys). */
  minJobManagers: number;
  /** Namespaces the webhook never mutates or guards (they still appear in audits, as excluded). */
  excludedNamespaces: string[];
  /** Default mode; per-namespace overrides in `namespaceModes` and the namespace label `flink-ha.io/mode`. */
  mode: Mode;
  namespaceModes: Record<string, Mode>;
  /** Regular expressions matched against container images to recognise Flink containers. */
  imagePatterns: string[];
  /** Label/annotation keys of exemptions and releases. */
  exemptLabel: string;
  exemptReasonAnnotation: string;
  releaseAnnotation: string;
  modeLabel: string;
  /** How mutation failures are answered: `Ignore` allows with a warning, `Fail` denies. */
  mutationFailurePolicy: FailurePolicy;
  tls: { certDir: string; certFile: string; keyFile: string; caFile: string; reloadIntervalMs: number };
  server: {
    host: string;
    port: number;
    /** DNS names for the generated dev serving certificate (in-cluster Service names). */
    serviceDnsNames: string[];
    shutdownDeadlineMs: number;
    /** On SIGTERM, how long to keep answering (readiness already failing) before closing the listener, so the
     * Service's endpoints drop this pod first; bounded by shutdownDeadlineMs. */
    drainDelayMs: number;
    keepAliveTimeoutMs: number;
    headersTimeoutMs: number;
  };
  logLevel: LogLevel;
  /** Namespace the webhook itself runs in: always excluded. */
  webhookNamespace: string;
}
