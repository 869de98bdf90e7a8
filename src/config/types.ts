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
  /**
   * Checkpoint and savepoint directories for FlinkDeployments with `upgradeMode: last-state` / `savepoint`, which the
   * operator requires (`{namespace}`, `{clusterId}`). No default: a missing one is denied with the fix.
   */
  checkpointDirTemplate?: string;
  savepointDirTemplate?: string;
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
  /**
   * Namespaces whose FlinkHAExceptions count (default: the webhook's own namespace, filled in when unset or
   * empty): RBAC on them decides who may exempt a workload. Exceptions elsewhere exempt nothing.
   */
  exceptionNamespaces: string[];
  /**
   * The retired `exemptLabel` on a workload or a namespace still exempts it (for one release, while exceptions
   * replace it). Default false: the label exempts nothing and the object is reported (`legacy-exempt-label`).
   */
  legacyExemptLabel: boolean;
  /**
   * Mode of the HA guards (HA ConfigMaps, namespaces holding them). Taken from this config only: namespace and
   * object labels, which namespace users can set, never switch the guards off. `warn`/`audit` are for a staged rollout.
   */
  guardMode: Mode;
  /**
   * An owner ServiceAccount (HA or operator) counts as an owner only with a pod-bound token
   * (userInfo.extra["authentication.kubernetes.io/pod-name"]), as Flink's and the operator's pods carry: an
   * impersonated ServiceAccount (`--as`) or a token minted with `kubectl create token` is judged as anyone else.
   */
  requirePodBoundToken: boolean;
  /**
   * Label that `serve` keeps on the namespaces holding HA ConfigMaps (value "true"); the fail-closed namespaces
   * webhook selects on it, so a webhook outage blocks no other namespace's deletion. Empty: not maintained.
   */
  haStateNamespaceLabel: string;
  /**
   * What a non-owner (anyone but Flink's and the operator's ServiceAccounts and allowedPrincipals) may write on HA
   * state: these label and annotation keys (exact, or `prefix/*` for every key under a DNS prefix), and together at
   * most `maxBytes` (keys + values, UTF-8). Every other field of an HA ConfigMap is its owners' alone.
   */
  nonOwnerMetadata: { labels: string[]; annotations: string[]; maxBytes: number };
  /** How mutation failures are answered: `Ignore` allows with a warning, `Fail` denies. */
  mutationFailurePolicy: FailurePolicy;
  /**
   * The audit `serve` runs itself (the leader replica only, docs/reports-and-alerts.md): on a schedule and after
   * allowed reviews, it keeps the audit gauges of /metrics and, with `reports`, one openreports.io Report per
   * namespace with findings (and a ClusterReport for cluster-wide ones).
   */
  backgroundAudit: {
    enabled: boolean;
    intervalSeconds: number;
    /** After an allowed review, the audit runs at most this long later (one run however many reviews came). */
    debounceSeconds: number;
    /** Keep openreports.io/v1alpha1 Reports (the CRDs must be installed; the chart does it when missing). */
    reports: boolean;
    /** Results kept per Report, worst first; the summary still counts every finding. */
    maxResultsPerReport: number;
    /** Namespaces with their own label value in the findings gauge (the most findings first); the rest are summed
     * under namespace="_other", so the series stay bounded however many namespaces there are. */
    metricsMaxNamespaces: number;
    /** SubjectAccessReviews of Flink ServiceAccounts' ConfigMap rights (6 per ServiceAccount RBAC does not cover). */
    rightsCheck: boolean;
  };
  tls: {
    certDir: string;
    certFile: string;
    keyFile: string;
    caFile: string;
    reloadIntervalMs: number;
    /**
     * PEM file of the CA that signs the API server's client certificate (its AdmissionConfiguration). Set: the
     * server asks every client for a certificate and verifies it against this CA; '' (default): no client auth.
     */
    clientCaFile: string;
    /** With clientCaFile: /mutate and /validate answer only verified clients (403 otherwise). false: served, but
     * counted and logged as unverified (to roll the API server's side out first). */
    requireClientCert: boolean;
  };
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
    /** Time to receive a request's headers, and the whole request: within the API server's 30 s webhook call. */
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    /** A TLS handshake not finished in this time is dropped (node's default is 120 s). */
    tlsHandshakeTimeoutMs: number;
    /**
     * Most bytes of review bodies held at once (received, parsed or being answered); a review that would go past
     * it is answered 429 at once, so a flood of 7 MiB reviews cannot take the webhook past its memory limit.
     */
    maxInflightBodyBytes: number;
    /**
     * Most bytes of that budget held at once by the connections from one client address. An attacker opens as
     * many connections as he likes but from few addresses; the API server's calls come from its own.
     */
    maxInflightBodyBytesPerPeer: number;
    /** A body still arriving after bodyRateGraceMs must keep arriving at this rate (per second, over each
     * second), else it is dropped and its budget freed at once (a trickled body would hold the budget). */
    minBodyBytesPerSecond: number;
    bodyRateGraceMs: number;
  };
  logLevel: LogLevel;
  /** Namespace the webhook itself runs in: always excluded. */
  webhookNamespace: string;
}
