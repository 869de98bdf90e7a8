// Type checks of the fields the policy reads and writes, before it reads them: objects are untrusted data (a
// manifest, a custom resource the API server has not validated yet), so a value of the wrong type becomes a problem
// with its JSON path ("spec.flinkConfiguration must be a map; found a list"), never a cast, a throw or an overwrite.
import { CLUSTER_ID, HA_STORAGE_DIR, HA_TYPE_KEYS, K8S_NAMESPACE } from './config-keys.ts';

/** How a value reads in a message: "a list", "a map", "the number 42", "true", "null", "a string". */
export function found(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return 'a string';
  return typeof v;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MAX_PROBLEMS = 5;

/** Collects problems; each names the path and what was expected and found. */
export class ShapeCheck {
  readonly problems: string[] = [];

  private bad(path: string, expected: string, v: unknown): false {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(`${path} must be ${expected}; found ${found(v)}`);
    return false;
  }

  /** Absent (undefined or null) or a string. */
  string(v: unknown, path: string): boolean {
    return v === undefined || v === null || typeof v === 'string' || this.bad(path, 'a string', v);
  }

  /** Absent or a whole number. */
  integer(v: unknown, path: string): boolean {
    return v === undefined || v === null || Number.isInteger(v) || this.bad(path, 'a whole number', v);
  }

  /** Absent or a map; true when it is a map to look into. */
  map(v: unknown, path: string): v is Record<string, unknown> {
    if (isMap(v)) return true;
    if (v !== undefined && v !== null) this.bad(path, 'a map', v);
    return false;
  }

  /** A list item that must be a map (null is no map here). */
  item(v: unknown, path: string): v is Record<string, unknown> {
    return isMap(v) || this.bad(path, 'a map', v);
  }

  /** Absent or a list; the list's items when it is one. */
  list(v: unknown, path: string): unknown[] {
    if (Array.isArray(v)) return v;
    if (v !== undefined && v !== null) this.bad(path, 'a list', v);
    return [];
  }

  /** Absent or a map of strings (labels, annotations, ConfigMap data). */
  stringMap(v: unknown, path: string): void {
    if (!this.map(v, path)) return;
    for (const [k, value] of Object.entries(v)) if (typeof value !== 'string') this.bad(`${path}.${k}`, 'a string', value);
  }

  /** Absent or a list of strings (args, command). */
  stringList(v: unknown, path: string): void {
    this.list(v, path).forEach((item, i) => typeof item === 'string' || this.bad(`${path}[${i}]`, 'a string', item));
  }
}

/** metadata as the API server decodes it: anything else is refused before admission, so it is an input error. */
export function metadataProblems(metadata: unknown): string[] {
  const c = new ShapeCheck();
  if (!c.map(metadata, 'metadata')) return c.problems;
  for (const field of ['name', 'generateName', 'namespace'] as const) c.string(metadata[field], `metadata.${field}`);
  c.stringMap(metadata.labels, 'metadata.labels');
  c.stringMap(metadata.annotations, 'metadata.annotations');
  c.list(metadata.ownerReferences, 'metadata.ownerReferences').forEach((ref, i) => {
    if (c.item(ref, `metadata.ownerReferences[${i}]`)) {
      for (const f of ['apiVersion', 'kind', 'name', 'uid'] as const) c.string(ref[f], `metadata.ownerReferences[${i}].${f}`);
    }
  });
  return c.problems;
}

/**
 * The pod spec fields the policy reads or writes: containers (name, image, args, command, env, volumeMounts),
 * volumes (the mounted config ConfigMap) and the ServiceAccount. `path` is where the pod spec sits.
 */
export function podSpecProblems(podSpec: Record<string, unknown>, path: string): string[] {
  const c = new ShapeCheck();
  c.list(podSpec.containers, `${path}.containers`).forEach((container, i) => {
    const at = `${path}.containers[${i}]`;
    if (!c.item(container, at)) return;
    c.string(container.name, `${at}.name`);
    c.string(container.image, `${at}.image`);
    c.stringList(container.args, `${at}.args`);
    c.stringList(container.command, `${at}.command`);
    c.list(container.env, `${at}.env`).forEach((env, j) => {
      if (!c.item(env, `${at}.env[${j}]`)) return;
      c.string(env.name, `${at}.env[${j}].name`);
      c.string(env.value, `${at}.env[${j}].value`);
      c.map(env.valueFrom, `${at}.env[${j}].valueFrom`);
    });
    c.list(container.volumeMounts, `${at}.volumeMounts`).forEach((m, j) => {
      if (!c.item(m, `${at}.volumeMounts[${j}]`)) return;
      c.string(m.name, `${at}.volumeMounts[${j}].name`);
      c.string(m.mountPath, `${at}.volumeMounts[${j}].mountPath`);
    });
  });
  c.list(podSpec.volumes, `${path}.volumes`).forEach((v, i) => {
    const at = `${path}.volumes[${i}]`;
    if (!c.item(v, at)) return;
    c.string(v.name, `${at}.name`);
    if (c.map(v.configMap, `${at}.configMap`)) c.string(v.configMap.name, `${at}.configMap.name`);
    if (c.map(v.projected, `${at}.projected`)) {
      c.list(v.projected.sources, `${at}.projected.sources`).forEach((s, j) => {
        if (c.item(s, `${at}.projected.sources[${j}]`) && c.map(s.configMap, `${at}.projected.sources[${j}].configMap`)) {
          c.string(s.configMap.name, `${at}.projected.sources[${j}].configMap.name`);
        }
      });
    }
  });
  c.string(podSpec.serviceAccountName, `${path}.serviceAccountName`);
  c.string(podSpec.serviceAccount, `${path}.serviceAccount`);
  return c.problems;
}

/** A pod-bearing controller's own fields the policy reads: the replica count and the pod template's labels. */
export function controllerProblems(spec: Record<string, unknown>, kind: string): string[] {
  const c = new ShapeCheck();
  c.integer(spec.replicas, 'spec.replicas');
  if (kind === 'Job') c.integer(spec.parallelism, 'spec.parallelism');
  if (c.map(spec.template, 'spec.template') && c.map(spec.template.metadata, 'spec.template.metadata')) {
    c.stringMap(spec.template.metadata.labels, 'spec.template.metadata.labels');
    c.stringMap(spec.template.metadata.annotations, 'spec.template.metadata.annotations');
  }
  return c.problems;
}

/** Flink keys whose value must be text: HA switches, locations and names (a number or a list is a mistake). */
const TEXT_KEYS = [...HA_TYPE_KEYS, HA_STORAGE_DIR, CLUSTER_ID, K8S_NAMESPACE, 'high-availability.cluster-id'];

/**
 * A FlinkDeployment's (or a blue/green template's) spec: flinkConfiguration a map (flat or nested) whose HA keys
 * are strings, jobManager a map with a whole-number replicas, serviceAccount, image and flinkVersion strings.
 */
export function flinkDeploymentSpecProblems(spec: Record<string, unknown>, path = 'spec'): string[] {
  const c = new ShapeCheck();
  if (c.map(spec.flinkConfiguration, `${path}.flinkConfiguration`)) {
    for (const key of TEXT_KEYS) {
      const hit = lookupConfig(spec.flinkConfiguration, key);
      if (hit && typeof hit.value !== 'string') {
        c.string(hit.value, `${path}.flinkConfiguration.${hit.path}`);
      }
    }
  }
  if (c.map(spec.jobManager, `${path}.jobManager`)) c.integer(spec.jobManager.replicas, `${path}.jobManager.replicas`);
  c.map(spec.taskManager, `${path}.taskManager`);
  c.map(spec.job, `${path}.job`);
  for (const field of ['serviceAccount', 'image', 'flinkVersion'] as const) c.string(spec[field], `${path}.${field}`);
  return c.problems;
}

const nestsCache = new Map<string, boolean>();

/** Whether a longer TEXT_KEY nests under `key`. Keys are TEXT_KEYS and their dotted suffixes, so the cache stays small. */
function nestsUnder(key: string): boolean {
  let nests = nestsCache.get(key);
  if (nests === undefined) {
    nests = TEXT_KEYS.some((k) => k.startsWith(`${key}.`));
    nestsCache.set(key, nests);
  }
  return nests;
}

/** Finds a dotted Flink key in a flat or nested config map (`a.b.c` as a key, or under `a: {b.c}`, `a: {b: {c}}`). */
function lookupConfig(node: Record<string, unknown>, key: string): { path: string; value: unknown } | undefined {
  const own = node[key];
  // A map under a full key is a mistake (`storageDir: {}`), unless longer keys nest in it (`high-availability: {type}`).
  const nests = nestsUnder(key);
  if (own !== undefined && own !== null && !(isMap(own) && nests)) return { path: key, value: own };
  for (const [k, v] of Object.entries(node)) {
    if (key.startsWith(`${k}.`) && isMap(v)) {
      const inner = lookupConfig(v, key.slice(k.length + 1));
      if (inner) return { path: `${k}.${inner.path}`, value: inner.value };
    }
  }
  return undefined;
}
