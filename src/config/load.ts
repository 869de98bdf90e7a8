// Reads the config file (YAML), applies env vars and CLI overrides, validates the result against the schema,
// and returns one typed object or a list of errors that each name the bad field.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import yaml from 'js-yaml';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import { CONFIG_SCHEMA } from './schema.ts';
import { DEFAULT_CONFIG } from './defaults.ts';
import type { WebhookConfig } from './types.ts';
import { FLINK_HA_LABEL_KEYS, LEADER_ANNOTATION } from '../flink/ha-configmap.ts';

export type ConfigResult = { ok: true; config: WebhookConfig } | { ok: false; errors: string[] };

/** A partial config, as it comes from a file, the environment or flags. */
export type ConfigOverrides = { [K in keyof WebhookConfig]?: unknown };

let compiled: ValidateFunction | undefined;

/**
 * Ajv and the compiled schema (~100 ms of start-up) are loaded on first use, and only when there is something to
 * validate: a run with defaults only (most `dry-run` and `audit` runs) skips them. `require` keeps loadConfig sync.
 */
function validateSchema(): ValidateFunction {
  if (!compiled) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    compiled = new Ajv({ allErrors: true, strict: true }).compile(CONFIG_SCHEMA);
  }
  return compiled;
}

/** Env vars that override config fields: FLINK_HA_<NAME>. Lists are comma-separated. */
const ENV_FIELDS: Record<string, { path: string[]; type: 'string' | 'int' | 'list' }> = {
  FLINK_HA_SERVICE_ACCOUNT: { path: ['haServiceAccount'], type: 'string' },
  FLINK_HA_OPERATOR_SERVICE_ACCOUNTS: { path: ['operatorServiceAccounts'], type: 'list' },
  FLINK_HA_ALLOWED_PRINCIPALS: { path: ['allowedPrincipals'], type: 'list' },
  FLINK_HA_STORAGE_DIR_TEMPLATE: { path: ['storageDirTemplate'], type: 'string' },
  FLINK_HA_CHECKPOINT_DIR_TEMPLATE: { path: ['checkpointDirTemplate'], type: 'string' },
  FLINK_HA_SAVEPOINT_DIR_TEMPLATE: { path: ['savepointDirTemplate'], type: 'string' },
  FLINK_HA_MIN_JOBMANAGERS: { path: ['minJobManagers'], type: 'int' },
  FLINK_HA_EXCLUDED_NAMESPACES: { path: ['excludedNamespaces'], type: 'list' },
  FLINK_HA_MODE: { path: ['mode'], type: 'string' },
  FLINK_HA_GUARD_MODE: { path: ['guardMode'], type: 'string' },
  FLINK_HA_LOG_LEVEL: { path: ['logLevel'], type: 'string' },
  FLINK_HA_CERT_DIR: { path: ['tls', 'certDir'], type: 'string' },
  FLINK_HA_CLIENT_CA_FILE: { path: ['tls', 'clientCaFile'], type: 'string' },
  FLINK_HA_HOST: { path: ['server', 'host'], type: 'string' },
  FLINK_HA_PORT: { path: ['server', 'port'], type: 'int' },
  FLINK_HA_WEBHOOK_NAMESPACE: { path: ['webhookNamespace'], type: 'string' },
  FLINK_HA_EXCEPTION_NAMESPACES: { path: ['exceptionNamespaces'], type: 'list' },
};

export interface LoadOptions {
  /** Path of a YAML config file; absent means defaults only. */
  file?: string;
  /** The config's YAML text itself (read elsewhere: the installed webhook's ConfigMap), named by `source`. */
  text?: { yaml: string; source: string };
  /** The environment to read FLINK_HA_* overrides from (pass process.env at the edge). */
  env?: Record<string, string | undefined>;
  /** CLI flag overrides, highest precedence. Nested objects (tls, server) are merged field by field. */
  overrides?: Record<string, unknown>;
}

export function loadConfig(options: LoadOptions = {}): ConfigResult {
  let fromFile: unknown = {};
  const source = options.file ?? options.text?.source;
  if (source !== undefined) {
    try {
      fromFile = yaml.load(options.file !== undefined ? readFileSync(options.file, 'utf8') : options.text!.yaml) ?? {};
    } catch (err) {
      return { ok: false, errors: [`${source}: ${(err as Error).message.split('\n')[0]}`] };
    }
    if (typeof fromFile !== 'object' || Array.isArray(fromFile)) {
      return { ok: false, errors: [`${source}: the config file must be a YAML mapping of settings`] };
    }
  }
  const merged = structuredClone(fromFile) as Record<string, unknown>;
  const envErrors = applyEnv(merged, options.env ?? {});
  deepMerge(merged, options.overrides ?? {});
  return validateConfig(merged, source ?? 'config', envErrors);
}

/** Validates a partial config object and fills in the defaults. */
export function validateConfig(partial: unknown, source = 'config', extraErrors: string[] = []): ConfigResult {
  const errors = [...extraErrors];
  const nothingSet = isPlainObject(partial) && Object.keys(partial).length === 0;
  const validate = nothingSet ? undefined : validateSchema();
  if (validate && !validate(partial)) {
    for (const e of validate.errors ?? []) {
      const field = e.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(top level)';
      const extra = e.keyword === 'additionalProperties' ? ` '${String(e.params.additionalProperty)}'` : '';
      const allowed = e.keyword === 'enum' ? `: one of ${(e.params.allowedValues as unknown[]).join(', ')}` : '';
      errors.push(`${source}: ${field}: ${e.message ?? 'is invalid'}${extra}${allowed}`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const config = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  deepMerge(config, partial as Record<string, unknown>);
  const typed = config as unknown as WebhookConfig;
  for (const pattern of typed.imagePatterns) {
    try {
      new RegExp(pattern);
    } catch {
      errors.push(`${source}: imagePatterns: '${pattern}' is not a valid regular expression`);
    }
  }
  errors.push(...ownedKeysOpened(typed, source));
  if (!typed.excludedNamespaces.includes(typed.webhookNamespace)) {
    typed.excludedNamespaces = [...typed.excludedNamespaces, typed.webhookNamespace];
  }
  // Exceptions count in the webhook's own namespace unless the config names others: wherever it is installed.
  if (typed.exceptionNamespaces.length === 0) typed.exceptionNamespaces = [typed.webhookNamespace];
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: typed };
}

/**
 * nonOwnerMetadata entries that would open a key Flink or the webhook reads (Flink's HA labels, the leader
 * annotation, anything under flink-ha.io/ and the configured mark keys): those stay owned whatever the list says,
 * so such an entry is a mistake worth a clear error rather than a silent no-op.
 */
function ownedKeysOpened(config: WebhookConfig, source: string): string[] {
  const errors: string[] = [];
  const owned = {
    labels: [...FLINK_HA_LABEL_KEYS, config.exemptLabel, config.modeLabel, 'flink-ha.io/'],
    annotations: [LEADER_ANNOTATION, config.releaseAnnotation, config.exemptReasonAnnotation, 'flink-ha.io/'],
  };
  for (const kind of ['labels', 'annotations'] as const) {
    for (const entry of config.nonOwnerMetadata[kind]) {
      const prefix = entry.endsWith('/*') ? entry.slice(0, -1) : undefined;
      const hit = owned[kind].find((key) => (prefix ? key.startsWith(prefix) : key === entry || (key.endsWith('/') && entry.startsWith(key))));
      if (hit) errors.push(`${source}: nonOwnerMetadata.${kind}: '${entry}' would open ${hit.endsWith('/') ? `${hit}*` : hit} to non-owners; Flink's and the webhook's own keys are always owned`);
    }
  }
  return errors;
}

/** The default config, for tests and for commands run without --config. */
export function defaultConfig(overrides: Record<string, unknown> = {}): WebhookConfig {
  const result = validateConfig(overrides);
  if (!result.ok) throw new Error(`invalid built-in config: ${result.errors.join('; ')}`);
  return result.config;
}

function applyEnv(target: Record<string, unknown>, env: Record<string, string | undefined>): string[] {
  const errors: string[] = [];
  for (const [name, field] of Object.entries(ENV_FIELDS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (field.type === 'int') {
      value = Number(raw);
      if (!Number.isInteger(value)) {
        errors.push(`env ${name}: '${raw}' is not an integer`);
        continue;
      }
    } else if (field.type === 'list') {
      value = raw.split(',').map((s) => s.trim()).filter(Boolean);
    }
    let node = target;
    for (const key of field.path.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node[field.path.at(-1)!] = value;
  }
  return errors;
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) deepMerge(existing, value);
    else target[key] = structuredClone(value);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
