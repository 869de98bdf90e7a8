// Flink configuration reaches a process through several carriers; each is read and written here the way Flink
// reads it: FlinkDeployment `spec.flinkConfiguration` (flat or nested), `flink-conf.yaml` (flat lines),
// `config.yaml` (standard nested YAML), and a container's `-Dkey=value` args and `FLINK_PROPERTIES` env.
import yaml from 'js-yaml';
import { loadBounded, nestingMessage, probeSchema } from '../kube/yaml-limits.ts';

export interface ConfigCarrier {
  /** Where the config lives, for messages (`spec.flinkConfiguration`, `ConfigMap flink-config, flink-conf.yaml`). */
  readonly where: string;
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/** Flattens nested maps by joining keys with `.`, lists with `;`, as the operator's ConfigObjectNode.asFlatMap does. */
export function flattenConfig(node: unknown, prefix = '', out: Map<string, string> = new Map()): Map<string, string> {
  if (node === null || node === undefined) return out;
  if (typeof node === 'object' && !Array.isArray(node)) {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  if (!prefix) return out;
  out.set(prefix, Array.isArray(node) ? node.map(scalarText).join(';') : scalarText(node));
  return out;
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/**
 * Writes `key` into a nested map where the existing structure puts it: under the deepest existing parent map
 * (`high-availability: {type: kubernetes}` gets `storageDir` beside `type`), else as a flat dotted key.
 */
export function setNested(root: Record<string, unknown>, key: string, value: string): void {
  let node = root;
  let rest = key;
  for (;;) {
    const parent = Object.keys(node).find((k) => rest.startsWith(`${k}.`) && isMap(node[k]));
    if (parent === undefined) break;
    node = node[parent] as Record<string, unknown>;
    rest = rest.slice(parent.length + 1);
  }
  node[rest] = value;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `spec.flinkConfiguration` of a FlinkDeployment (flat string map up to operator 1.12, nested YAML since 1.13). */
export function flinkConfigurationCarrier(spec: Record<string, unknown>, path = 'spec'): ConfigCarrier {
  // Rules read several keys in a row: flatten once, again only after a write (every write goes through set) or
  // when the map itself was replaced.
  let flatOf: unknown;
  let flat: Map<string, string> | undefined;
  return {
    where: `${path}.flinkConfiguration`,
    get: (key) => {
      if (flat === undefined || flatOf !== spec.flinkConfiguration) {
        flatOf = spec.flinkConfiguration;
        flat = flattenConfig(flatOf);
      }
      return flat.get(key);
    },
    set: (key, value) => {
      if (!isMap(spec.flinkConfiguration)) spec.flinkConfiguration = {};
      setNested(spec.flinkConfiguration as Record<string, unknown>, key, value);
      flat = undefined;
    },
  };
}

export class ConfigParseError extends Error {}

/** Legacy `flink-conf.yaml`: one `key: value` per line, `#` comments; Flink splits at the first `: `. */
export function parseFlinkConfLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const sep = line.indexOf(': ');
    const key = (sep < 0 ? line.replace(/:$/, '') : line.slice(0, sep)).trim();
    const value = sep < 0 ? '' : line.slice(sep + 2).trim();
    if (key) out.set(key, unquote(value));
  }
  return out;
}

function unquote(v: string): string {
  return v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) ? v.slice(1, -1) : v;
}

/** `FLINK_PROPERTIES`: `key: value` lines; the image's entrypoint splits each at the first `:`. */
export function parseFlinkProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const sep = line.indexOf(':');
    if (!line || line.startsWith('#') || sep <= 0) continue;
    out.set(line.slice(0, sep).trim(), unquote(line.slice(sep + 1).trim()));
  }
  return out;
}

/** A ConfigMap data key holding Flink config; `flink-conf.yaml` or `config.yaml`. Writes edit `data[fileKey]`. */
export function configFileCarrier(data: Record<string, string>, fileKey: string, cmName: string): ConfigCarrier {
  const where = `ConfigMap ${cmName}, ${fileKey}`;
  const nested = fileKey === 'config.yaml';
  // Rules read several keys in a row: parse once per text, not once per key.
  // A text that cannot be read is remembered too: every rule asks, and must not pay for the parse again.
  let cachedText: string | undefined;
  let cached: Map<string, string> | ConfigParseError = new Map<string, string>();
  /** config.yaml: the parsed mapping of cachedText (undefined when it parsed to nothing), which set() reuses. */
  let cachedDoc: Record<string, unknown> | undefined;
  const read = (): Map<string, string> => {
    const text = data[fileKey] ?? '';
    if (text !== cachedText) {
      try {
        cached = parseFile(text);
      } catch (err) {
        if (!(err instanceof ConfigParseError)) throw err;
        cached = err;
      }
      cachedText = text;
    }
    if (cached instanceof ConfigParseError) throw cached;
    return cached;
  };
  const parseFile = (text: string): Map<string, string> => {
    if (!nested) return parseFlinkConfLines(text);
    cachedDoc = undefined;
    const doc = loadConfigYaml(text, where);
    if (doc !== null && doc !== undefined && !isMap(doc)) throw new ConfigParseError(`${where} is not a YAML mapping`);
    cachedDoc = doc ?? undefined;
    return flattenConfig(doc);
  };
  return {
    where,
    get: (key) => read().get(key),
    set: (key, value) => {
      const text = data[fileKey] ?? '';
      // The parse of this very text, when get() made one: a rule reads, then writes (one parse, not three).
      const parsed = nested && text === cachedText && !(cached instanceof ConfigParseError) ? cached : undefined;
      let doc: Record<string, unknown> = {};
      if (nested) {
        const loaded = parsed ? cachedDoc : loadConfigYaml(text, where);
        doc = isMap(loaded) ? loaded : {};
        const [head] = key.split('.');
        if (head !== undefined && isMap(doc[head])) {
          // A nested parent exists: a flat `a.b` key beside an `a:` map would overlap, so rewrite the document.
          setNested(doc, key, value);
          data[fileKey] = yaml.dump(doc, { lineWidth: -1 });
          cachedText = undefined;
          return;
        }
      }
      // Append, keeping the user's text (comments, order) as it was.
      const line = yaml.dump({ [key]: value }, { lineWidth: -1 });
      const written = `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}`;
      data[fileKey] = written;
      // What parsing `written` would give, without parsing it: the same mapping plus this top-level key. Not when
      // the key is there already (a duplicate key is an error to js-yaml) or the text has document markers.
      if (parsed && !Object.hasOwn(doc, key) && !DOCUMENT_MARKER.test(text)) {
        doc[key] = value;
        cachedDoc = doc;
        parsed.set(key, value);
        cachedText = written;
      } else if (!nested && text === cachedText && cached instanceof Map) {
        // flink-conf.yaml is read line by line, each line alone: the appended lines' keys over the text's are the
        // parse of `written` (rules write three or four keys in a row; each would re-parse the file).
        for (const [k, v] of parseFlinkConfLines(line)) cached.set(k, v);
        cachedText = written;
      }
    },
  };
}

/** A line that starts or ends a YAML document: text appended after one is not part of the same mapping. */
const DOCUMENT_MARKER = /^(---|\.\.\.)(\s|$)/m;

// js-yaml 4 exports its built-in types as `types`; @types/js-yaml does not declare them.
const TYPES = (yaml as unknown as { types: Record<'timestamp' | 'binary' | 'omap' | 'pairs' | 'set', yaml.Type> }).types;
/** js-yaml's default schema (what config.yaml was always read with) without merge keys, to probe the cost with. */
const CONFIG_PROBE = probeSchema(yaml.CORE_SCHEMA, { implicit: [TYPES.timestamp], explicit: [TYPES.binary, TYPES.omap, TYPES.pairs, TYPES.set] });

/**
 * Nodes a config.yaml may take from aliases. The API server never expands a ConfigMap's text, only the webhook
 * (and Flink) do, once per carrier that reads it: the bound keeps the worst file to a few ms of flattening (a node
 * costs ~1.7 µs). Flink's own reader (snakeyaml-engine) allows 50 aliases to a map or list; no real config comes
 * near a thousand nodes of them.
 */
export const MAX_CONFIG_ALIASED_NODES = 1000;

/**
 * The largest config.yaml read. Every review that reads a config parses it once (js-yaml, ~20-40 MB/s of CPU), and
 * a text with aliases or merge keys is probed before it is expanded: at 64 KiB the costliest text held the event loop
 * for 12.7 ms (bench/hostile.bench.ts), past "a few ms". 32 KiB is twice Flink's shipped default config.yaml,
 * comments and all (~15 KiB); a real one is a few KiB.
 */
export const MAX_CONFIG_YAML_BYTES = 32 * 1024;

/** A config.yaml text as Flink reads it, its cost bounded before it is expanded (a ConfigMap is user input too). */
function loadConfigYaml(text: string, where: string): unknown {
  if (text.length > MAX_CONFIG_YAML_BYTES) {
    throw new ConfigParseError(`${where} is refused: ${Math.ceil(text.length / 1024)} KiB, more than the ${MAX_CONFIG_YAML_BYTES / 1024} KiB the webhook reads (a Flink config is a few KiB); move large values out of the file`);
  }
  let loaded: ReturnType<typeof loadBounded>;
  try {
    loaded = loadBounded(text, { schema: yaml.DEFAULT_SCHEMA, probe: CONFIG_PROBE, limits: { maxAliasedNodes: MAX_CONFIG_ALIASED_NODES, maxExpandedBytes: 1024 * 1024, bytesWhy: 'a ConfigMap can hold' } });
  } catch (err) {
    const reason = nestingMessage(err) ?? (err as { reason?: string }).reason ?? (err instanceof Error ? err.message : String(err));
    throw new ConfigParseError(`${where} is not valid YAML: ${reason}`);
  }
  if (!loaded.ok) throw new ConfigParseError(`${where} is refused: ${loaded.problem}; expand the aliases in the file, as Flink reads it`);
  return loaded.doc;
}

export interface ContainerLike {
  name?: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
}

/**
 * A container's dynamic properties: `-Dkey=value` args (they win over the file) and `FLINK_PROPERTIES` lines.
 * Writes add `-D` args, the carrier that works whatever the conf dir mount is (FLINK_PROPERTIES needs a writable one).
 */
export function containerCarrier(container: ContainerLike): ConfigCarrier {
  // Parsed once per args and env: rules never edit those lists in place, they replace them (as set does here).
  let readArgs: unknown;
  let readEnv: unknown;
  let cached: Map<string, string> | undefined;
  const read = (): Map<string, string> => {
    if (cached === undefined || readArgs !== container.args || readEnv !== container.env) {
      readArgs = container.args;
      readEnv = container.env;
      cached = parse();
    }
    return cached;
  };
  const parse = (): Map<string, string> => {
    const out = new Map<string, string>();
    const props = container.env?.find((e) => e.name === 'FLINK_PROPERTIES')?.value;
    if (props) for (const [k, v] of parseFlinkProperties(props)) out.set(k, v);
    const args = container.args ?? [];
    args.forEach((arg, i) => {
      let prop: string | undefined;
      if (arg.startsWith('-D') && arg.length > 2) prop = arg.slice(2);
      else if (arg === '-D') prop = args[i + 1];
      const eq = prop?.indexOf('=') ?? -1;
      if (prop !== undefined && eq > 0) out.set(prop.slice(0, eq).trim(), prop.slice(eq + 1).trim());
    });
    return out;
  };
  return {
    where: `container ${container.name ?? '(unnamed)'} args`,
    get: (key) => read().get(key),
    set: (key, value) => {
      container.args = [...(container.args ?? []), `-D${key}=${value}`];
    },
  };
}

/** Reads keys through several carriers, highest precedence first; writes go to the first writable one. */
export function layeredCarrier(readers: ConfigCarrier[], writer: ConfigCarrier): ConfigCarrier & { whereOf(key: string): string | undefined } {
  return {
    where: writer.where,
    get: (key) => {
      for (const r of readers) {
        const v = r.get(key);
        if (v !== undefined) return v;
      }
      return undefined;
    },
    whereOf: (key) => readers.find((r) => r.get(key) !== undefined)?.where,
    set: (key, value) => writer.set(key, value),
  };
}
