// The allow-list behind the HA ConfigMap guards. Of an HA ConfigMap, a non-owner may change only the label and
// annotation keys config.nonOwnerMetadata lists (within its byte bound); everything else is the owners' alone. This
// module projects an object onto what it owns and names each owned field that a write changes, with its rule.
import type { WebhookConfig } from '../config/types.ts';
import { FLINK_HA_LABEL_KEYS, LEADER_ANNOTATION, stringMap, type HaMarkKeys } from '../flink/ha-configmap.ts';
import type { KubeObject } from '../kube/objects.ts';
import type { RuleId } from './types.ts';
import { releaseReason } from './release.ts';

/** The webhook's own prefix: every `flink-ha.io/*` label and annotation is the webhook's to read. */
const WEBHOOK_PREFIX = 'flink-ha.io/';
/** Who the object is (immutable on UPDATE, chosen by the creator on CREATE): not content. */
const IDENTITY = new Set(['apiVersion', 'kind']);
const IDENTITY_META = new Set(['name', 'namespace', 'generateName']);
/**
 * Written by the API server, not by the request (resourceVersion, uid...), or bookkeeping nobody reads for HA
 * (managedFields: which field manager last wrote what).
 */
const SERVER_META = new Set(['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields']);

export interface OwnedChange {
  /** JSON pointer of the owned field (`/data/checkpointID-0000000000000000042`, `/metadata/labels/app`, `/immutable`). */
  path: string;
  /** The guard that names it: ownerReferences → no-owner-reference, marks → protect-ha-configmap, the rest → no-ha-data-strip. */
  rule: RuleId;
  change: 'added' | 'removed' | 'changed';
}

const markKeysCache = new WeakMap<WebhookConfig, HaMarkKeys>();

/** The webhook's own mark keys of a config (worked out once per config: this runs for every label of every review). */
export function markKeysOf(config: WebhookConfig): HaMarkKeys {
  let keys = markKeysCache.get(config);
  if (!keys) {
    keys = { markLabels: [config.exemptLabel, config.modeLabel], markAnnotations: [config.releaseAnnotation, config.exemptReasonAnnotation] };
    markKeysCache.set(config, keys);
  }
  return keys;
}

const FLINK_LABELS: ReadonlySet<string> = new Set(FLINK_HA_LABEL_KEYS);

/** config.nonOwnerMetadata, ready to match: exact keys, and the prefixes of `prefix/*` entries. */
interface OpenKeys {
  labels: { exact: ReadonlySet<string>; prefixes: string[] };
  annotations: { exact: ReadonlySet<string>; prefixes: string[] };
  marks: HaMarkKeys;
}
const openKeysCache = new WeakMap<WebhookConfig, OpenKeys>();

function openKeysOf(config: WebhookConfig): OpenKeys {
  let keys = openKeysCache.get(config);
  if (!keys) {
    const matcher = (entries: string[]) => ({
      exact: new Set(entries.filter((e) => !e.endsWith('/*'))),
      prefixes: entries.filter((e) => e.endsWith('/*')).map((e) => e.slice(0, -1)),
    });
    keys = { labels: matcher(config.nonOwnerMetadata.labels), annotations: matcher(config.nonOwnerMetadata.annotations), marks: markKeysOf(config) };
    openKeysCache.set(config, keys);
  }
  return keys;
}

/**
 * A label or annotation key a non-owner may write on HA state: listed in config.nonOwnerMetadata, and neither
 * Flink's nor the webhook's (those stay owned whatever the list says; config load refuses such entries too).
 */
function isOpenKey(key: string, kind: 'labels' | 'annotations', open: OpenKeys): boolean {
  if (key.startsWith(WEBHOOK_PREFIX)) return false;
  if (kind === 'labels' ? FLINK_LABELS.has(key) || open.marks.markLabels.includes(key) : key === LEADER_ANNOTATION || open.marks.markAnnotations.includes(key)) return false;
  const list = open[kind];
  return list.exact.has(key) || list.prefixes.some((p) => key.startsWith(p));
}

/**
 * Bytes (UTF-8, keys + values) of the labels and annotations a non-owner may write on an object: bounded by
 * nonOwnerMetadata.maxBytes, so that free metadata cannot grow an HA ConfigMap past etcd's request limit (Flink's
 * next checkpoint-pointer write would then fail: "etcdserver: request is too large").
 */
export function openMetadataBytes(obj: KubeObject | null | undefined, config: WebhookConfig): number {
  const open = openKeysOf(config);
  let bytes = 0;
  for (const kind of ['labels', 'annotations'] as const) {
    const map: unknown = obj?.metadata?.[kind];
    if (!isRecord(map)) continue;
    for (const key of Object.keys(map)) {
      if (!isOpenKey(key, kind, open)) continue;
      const value = map[key];
      bytes += Buffer.byteLength(key) + Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value) ?? '');
    }
  }
  return bytes;
}

function isMarkKey(key: string, kind: 'labels' | 'annotations', config: WebhookConfig): boolean {
  const marks = markKeysOf(config);
  return key.startsWith(WEBHOOK_PREFIX) || (kind === 'labels' ? marks.markLabels : marks.markAnnotations).includes(key);
}

/**
 * The owned part of an object, by section: the JSON pointer of the part that holds them ('' for top-level fields,
 * `/data`, `/binaryData`, `/metadata`, `/metadata/labels`, `/metadata/annotations`) -> key -> value. An allow-list:
 * every field is owned unless it is identity, server bookkeeping, or a label/annotation that is neither Flink's nor
 * the webhook's. Fields the policy has never heard of are owned too. Keyed by the object's own key strings, so
 * comparing two objects builds a pointer only for a field that changed (this runs on every HA ConfigMap write).
 */
type Owned = Map<string, Map<string, unknown>>;

function ownedValues(obj: KubeObject | null | undefined, open: OpenKeys): Owned {
  const out: Owned = new Map();
  if (!obj) return out;
  const field = (section: string, key: string, value: unknown) => {
    let fields = out.get(section);
    if (!fields) {
      fields = new Map();
      out.set(section, fields);
    }
    fields.set(key, value);
  };
  for (const key of Object.keys(obj)) {
    const value: unknown = obj[key];
    if (IDENTITY.has(key) || key === 'metadata' || value === undefined) continue;
    // data and binaryData key by key, so a message names the pointer that changed.
    if ((key === 'data' || key === 'binaryData') && isRecord(value)) {
      const section = `/${key}`;
      for (const k of Object.keys(value)) field(section, k, value[k]);
      continue;
    }
    field('', key, value);
  }
  const meta: unknown = obj.metadata;
  if (meta === undefined || meta === null) return out;
  if (!isRecord(meta)) {
    field('', 'metadata', meta);
    return out;
  }
  for (const key of Object.keys(meta)) {
    const value = meta[key];
    if (IDENTITY_META.has(key) || SERVER_META.has(key) || value === undefined) continue;
    if ((key === 'labels' || key === 'annotations') && isRecord(value)) {
      const section = `/metadata/${key}`;
      for (const k of Object.keys(value)) {
        if (!isOpenKey(k, key, open)) field(section, k, value[k]);
      }
      continue;
    }
    field('/metadata', key, value);
  }
  return out;
}

/** Every owned field that differs between the stored object (null on CREATE) and the written one. */
export function ownedChanges(before: KubeObject | null | undefined, after: KubeObject | null | undefined, config: WebhookConfig): OwnedChange[] {
  const open = openKeysOf(config);
  const a = ownedValues(before, open);
  const b = ownedValues(after, open);
  const changes: OwnedChange[] = [];
  const change = (section: string, key: string, kind: OwnedChange['change']) => {
    const path = `${section}/${escape(key)}`;
    changes.push({ path, rule: ruleOf(path, config), change: kind });
  };
  for (const [section, fields] of a) {
    const next = b.get(section);
    for (const [key, value] of fields) {
      const now = next?.get(key);
      if (now === undefined) change(section, key, 'removed');
      else if (!sameContent(value, now)) change(section, key, 'changed');
    }
  }
  for (const [section, fields] of b) {
    const prev = a.get(section);
    for (const key of fields.keys()) if (!prev?.has(key)) change(section, key, 'added');
  }
  return changes;
}

function ruleOf(path: string, config: WebhookConfig): RuleId {
  if (path === '/metadata/ownerReferences') return 'no-owner-reference';
  const m = /^\/metadata\/(labels|annotations)\/(.*)$/.exec(path);
  if (m && isMarkKey(unescape(m[2]!), m[1] as 'labels' | 'annotations', config)) return 'protect-ha-configmap';
  return 'no-ha-data-strip';
}

/** The release mark (or exempt label) on an object, as `key=value`, or undefined. */
export function releaseMarkOf(obj: KubeObject | null | undefined, config: WebhookConfig): string | undefined {
  const annotations = stringMap(obj?.metadata?.annotations);
  const release = annotations[config.releaseAnnotation];
  if (releaseReason(release) !== undefined) return `${config.releaseAnnotation}=${release}`;
  return stringMap(obj?.metadata?.labels)[config.exemptLabel] === 'true' ? `${config.exemptLabel}=true` : undefined;
}

/** canonical(a) === canonical(b), without serialising when the values are identical or both plain strings. */
function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'string' && typeof b === 'string') return false;
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted, so that the same content compares equal whatever the key order. */
function canonical(value: unknown): string {
  // Most owned fields are data values (strings): a replacer would only slow JSON.stringify down for them.
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  return JSON.stringify(value, (_k, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v);
}

function escape(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

function unescape(key: string): string {
  return key.replace(/~1/g, '/').replace(/~0/g, '~');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
