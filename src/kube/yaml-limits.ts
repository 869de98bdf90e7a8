// The limits a YAML document is held to, checked BEFORE anything expands it. js-yaml keeps an alias as a shared
// reference, so a "billion laughs" parses in milliseconds and explodes only when something walks, flattens or
// prints it; and a merge key (`<<: *a`) copies every key of `a` while parsing, so ten thousand merges of a big map
// cost seconds inside js-yaml itself. Hence: documents with aliases are first parsed with merge keys kept as plain
// keys (loadBounded below), their cost is computed on that shared graph once per distinct map or list (linear in
// the text), and only a document within the limits is parsed for real and handed on.
import yaml from 'js-yaml';

/** Deeper than any real manifest (a CRD schema nests ~60 levels) and far inside what JS recursion survives. */
export const MAX_DEPTH = 500;

/** The API server refuses a request body larger than this (3 MiB); kubectl sends the expanded JSON. */
export const MAX_EXPANDED_BYTES = 3 * 1024 * 1024;

export interface YamlLimits {
  /** Refuse a document whose expansion (as JSON, estimated) is larger than this. Default MAX_EXPANDED_BYTES. */
  maxExpandedBytes?: number;
  /** Why that bound, for the message; default: the API server's request limit. */
  bytesWhy?: string;
  /** Refuse a document in which more than this many nodes come from aliases. Default: go-yaml's ratio rule only. */
  maxAliasedNodes?: number;
}

/** go-yaml v3's allowedAliasRatio: up to 400k nodes 99% may come from aliases, falling to 10% at 4M. */
function allowedAliasRatio(decoded: number): number {
  if (decoded <= 400_000) return 0.99;
  if (decoded >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decoded - 400_000) / 3_600_000);
}

interface Expansion {
  /** Nodes once expanded (itself and its values, as the decoder counts them). */
  nodes: number;
  /** Levels of maps and lists once expanded (a scalar has 0). */
  height: number;
  /** Estimated bytes of its JSON once expanded. */
  bytes: number;
}

const CYCLE = 'an alias refers to a map or list that contains it (the Kubernetes API server refuses such a document too)';

function scalarBytes(v: unknown): number {
  return typeof v === 'string' ? v.length + 2 : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v).length : 4;
}

/**
 * The expansion of every distinct map and list under `root`, each computed once from its children's (post-order,
 * iterative: a document may nest deeper than JS recursion goes), or the reason the graph cannot be expanded.
 */
function expansions(root: object): Map<object, Expansion> | string {
  const done = new Map<object, Expansion>();
  const open = new Set<object>();
  const stack: Array<{ node: object; keys: string[] | undefined; i: number; acc: Expansion }> = [];
  const enter = (node: object) => {
    open.add(node);
    stack.push({ node, keys: Array.isArray(node) ? undefined : Object.keys(node), i: 0, acc: { nodes: 1, height: 1, bytes: 2 } });
  };
  enter(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const record = top.node as Record<string, unknown>;
    const count = top.keys ? top.keys.length : (top.node as unknown[]).length;
    if (top.i >= count) {
      stack.pop();
      open.delete(top.node);
      done.set(top.node, top.acc);
      continue;
    }
    const key = top.keys ? top.keys[top.i]! : undefined;
    const child = key === undefined ? (top.node as unknown[])[top.i] : record[key];
    const keyBytes = key === undefined ? 1 : key.length + 4;
    if (typeof child !== 'object' || child === null) {
      top.acc.nodes++;
      top.acc.bytes += keyBytes + scalarBytes(child);
      top.i++;
      continue;
    }
    const known = done.get(child);
    if (known) {
      top.acc.nodes += known.nodes;
      top.acc.height = Math.max(top.acc.height, known.height + 1);
      top.acc.bytes += keyBytes + known.bytes;
      top.i++;
      continue;
    }
    if (open.has(child)) return CYCLE;
    enter(child); // its totals are added when `top` meets it again, done
  }
  return done;
}

/**
 * Why a parsed YAML document must be refused, or undefined; linear in its distinct nodes, whatever its aliases
 * expand to. The API server's reader (sigs.k8s.io/yaml, go-yaml v3) refuses "excessive aliasing": more than 100
 * aliased nodes in more than 1000, above an allowed ratio, at any point of decoding in document order. This walks
 * the document in that order but adds an alias's whole expansion in one step, and checks at the end of each
 * step: while an alias expands, the aliased share only grows and the allowed ratio only falls, so if the limit
 * is passed inside an alias it is passed at its end. Also refused: nesting beyond MAX_DEPTH, an expansion larger
 * than `maxExpandedBytes`, and (when given) more than `maxAliasedNodes` nodes from aliases.
 */
export function yamlLimitProblem(doc: unknown, limits: YamlLimits = {}): string | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const sizes = expansions(doc);
  if (typeof sizes === 'string') return sizes;
  const whole = sizes.get(doc)!;
  if (whole.height > MAX_DEPTH) return `nested more than ${MAX_DEPTH} levels deep (no Kubernetes object is; refused as a likely attack or generator bug)`;
  const maxBytes = limits.maxExpandedBytes ?? MAX_EXPANDED_BYTES;
  if (whole.bytes > maxBytes) {
    const why = limits.bytesWhy ?? 'the Kubernetes API server accepts in a request';
    return `excessive aliasing: its aliases expand it to about ${mib(whole.bytes)} of JSON, more than the ${mib(maxBytes)} ${why}`;
  }
  const maxAliased = limits.maxAliasedNodes ?? Infinity;
  const seen = new Set<object>();
  const stack: unknown[] = [doc];
  let decoded = 0;
  let aliased = 0;
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'object' && node !== null && seen.has(node)) {
      const n = sizes.get(node)!.nodes;
      decoded += n;
      aliased += n;
      if (aliased > maxAliased) return `excessive aliasing: more than ${maxAliased} of its nodes come from aliases`;
    } else {
      decoded++;
    }
    if (aliased > 100 && decoded > 1000 && aliased / decoded > allowedAliasRatio(decoded)) {
      return `excessive aliasing: its aliases expand to more than ${decoded} nodes (the Kubernetes API server refuses such a document too)`;
    }
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    const children = Array.isArray(node) ? node : Object.values(node);
    // Reverse, so the stack pops them in document order (an anchor is met before its aliases).
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return undefined;
}

function mib(bytes: number): string {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(bytes >= 10 * 1048576 ? 0 : 1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** A parser's stack overflow (js-yaml recurses per nesting level) as a message a user can act on. */
export function nestingMessage(err: unknown): string | undefined {
  return err instanceof RangeError && /call stack/i.test(err.message)
    ? `nested too deeply to read (more than ${MAX_DEPTH} levels; no Kubernetes object is)`
    : undefined;
}

// Merge keys resolve to this tag in the probing parse: js-yaml merges only keys tagged tag:yaml.org,2002:merge, so
// here `<<` stays a key (each one unique, so two of them in one map are not a duplicate-key error) whose value is
// the shared, unexpanded source map.
let mergeProbeCount = 0;
const MERGE_PROBE = new yaml.Type('tag:flink-ha-webhook,2026:merge-probe', {
  kind: 'scalar',
  resolve: (data: unknown) => data === '<<',
  construct: () => `\u0000<<${mergeProbeCount++}`,
});

/** The schema to probe a document with: `schema` without merge keys (pass the schema's own building blocks). */
export function probeSchema(base: yaml.Schema, extra: { implicit?: yaml.Type[]; explicit?: yaml.Type[] } = {}): yaml.Schema {
  return base.extend({ implicit: [MERGE_PROBE, ...(extra.implicit ?? [])], explicit: extra.explicit ?? [] });
}

/** Not ok: each document's problem (undefined when within limits) and the probe's parse of each. */
export type BoundedLoad = { ok: true; docs: unknown[] } | { ok: false; problems: Array<string | undefined>; probed: unknown[] };

/**
 * Parses every document of `text` so that no document costs more than its limits, whatever its aliases: a text
 * without `*` has no alias and is parsed once; otherwise it is probed with `probe` (no merging), each document
 * checked, and, only when every one is within limits, parsed with `schema` (merges copy keys then, a bounded
 * number of them). Throws what js-yaml throws on a syntax error.
 */
export function loadAllBounded(text: string, options: { schema: yaml.Schema; probe: yaml.Schema; filename?: string; limits?: YamlLimits }): BoundedLoad {
  const { schema, probe, filename, limits } = options;
  const base = filename === undefined ? {} : { filename };
  if (!text.includes('*')) return { ok: true, docs: yaml.loadAll(text, undefined, { ...base, schema }) };
  const probed = yaml.loadAll(text, undefined, { ...base, schema: probe });
  const problems = probed.map((doc) => yamlLimitProblem(doc, limits));
  if (problems.some((p) => p !== undefined)) return { ok: false, problems, probed };
  // Without a merge key the probe's parse is the parse; with one, parse again and let js-yaml merge.
  return { ok: true, docs: text.includes('<<') ? yaml.loadAll(text, undefined, { ...base, schema }) : probed };
}

/** loadAllBounded for a text that must hold one document (js-yaml's `load`): the document, or why it is refused. */
export function loadBounded(text: string, options: { schema: yaml.Schema; probe: yaml.Schema; limits?: YamlLimits }): { ok: true; doc: unknown } | { ok: false; problem: string } {
  const { schema, probe, limits } = options;
  if (!text.includes('*')) return { ok: true, doc: yaml.load(text, { schema }) };
  const probed = yaml.load(text, { schema: probe });
  const problem = yamlLimitProblem(probed, limits);
  if (problem !== undefined) return { ok: false, problem };
  return { ok: true, doc: text.includes('<<') ? yaml.load(text, { schema }) : probed };
}
