// JSON Schema of the config file. Every field is optional in the file; defaults fill the rest.
const stringList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
/** A label/annotation key (`[prefix/]name`), or every key under a DNS prefix (`example.com/*`); never a bare `*`. */
const metadataKeyList = {
  type: 'array',
  items: { type: 'string', maxLength: 317, pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[*]$' },
} as const;
const mode = { enum: ['enforce', 'warn', 'audit'] } as const;

export const CONFIG_SCHEMA = {
  $id: 'flink-ha-webhook/config',
  type: 'object',
  additionalProperties: false,
  properties: {
    haServiceAccount: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 },
    operatorServiceAccounts: { type: 'array', items: { type: 'string', pattern: '^([a-z0-9][-a-z0-9]*:)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' } },
    allowedPrincipals: stringList,
    storageDirTemplate: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*://' },
    checkpointDirTemplate: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*://' },
    savepointDirTemplate: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*://' },
    minJobManagers: { type: 'integer', minimum: 1, maximum: 10 },
    excludedNamespaces: stringList,
    mode,
    namespaceModes: { type: 'object', additionalProperties: mode },
    imagePatterns: stringList,
    exemptLabel: { type: 'string', minLength: 1 },
    exemptReasonAnnotation: { type: 'string', minLength: 1 },
    releaseAnnotation: { type: 'string', minLength: 1 },
    modeLabel: { type: 'string', minLength: 1 },
    exceptionNamespaces: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } },
    legacyExemptLabel: { type: 'boolean' },
    guardMode: mode,
    requirePodBoundToken: { type: 'boolean' },
    haStateNamespaceLabel: { type: 'string', pattern: '^(([a-z0-9]([-a-z0-9.]*[a-z0-9])?)/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$|^$' },
    nonOwnerMetadata: {
      type: 'object',
      additionalProperties: false,
      properties: {
        labels: metadataKeyList,
        annotations: metadataKeyList,
        // 256 KiB is the API server's own bound on all annotations of an object.
        maxBytes: { type: 'integer', minimum: 0, maximum: 262144 },
      },
    },
    mutationFailurePolicy: { enum: ['Fail', 'Ignore'] },
    backgroundAudit: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        // A whole-cluster read: more often than every 5 s would make the audit most of the webhook's API traffic.
        intervalSeconds: { type: 'integer', minimum: 5, maximum: 86400 },
        debounceSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
        reports: { type: 'boolean' },
        // 300 results of at most ~3 KiB each stay well under etcd's 1.5 MiB object limit.
        maxResultsPerReport: { type: 'integer', minimum: 1, maximum: 300 },
        metricsMaxNamespaces: { type: 'integer', minimum: 0, maximum: 1000 },
        rightsCheck: { type: 'boolean' },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        certDir: { type: 'string', minLength: 1 },
        certFile: { type: 'string', minLength: 1 },
        keyFile: { type: 'string', minLength: 1 },
        caFile: { type: 'string', minLength: 1 },
        reloadIntervalMs: { type: 'integer', minimum: 100 },
        clientCaFile: { type: 'string' },
        requireClientCert: { type: 'boolean' },
      },
    },
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        serviceDnsNames: stringList,
        shutdownDeadlineMs: { type: 'integer', minimum: 0 },
        drainDelayMs: { type: 'integer', minimum: 0 },
        keepAliveTimeoutMs: { type: 'integer', minimum: 1000 },
        headersTimeoutMs: { type: 'integer', minimum: 1000, maximum: 30000 },
        requestTimeoutMs: { type: 'integer', minimum: 1000, maximum: 60000 },
        tlsHandshakeTimeoutMs: { type: 'integer', minimum: 100, maximum: 30000 },
        maxInflightBodyBytes: { type: 'integer', minimum: 8388608 },
        maxInflightBodyBytesPerPeer: { type: 'integer', minimum: 8388608 },
        minBodyBytesPerSecond: { type: 'integer', minimum: 0 },
        bodyRateGraceMs: { type: 'integer', minimum: 100, maximum: 30000 },
      },
    },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    webhookNamespace: { type: 'string', minLength: 1 },
  },
} as const;
