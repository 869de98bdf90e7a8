// The limits the API server's YAML reader (sigs.k8s.io/yaml, go-yaml v3) puts on a document, applied to what
// js-yaml parsed: aliases are shared references after parsing, so a "billion laughs" document parses in
// milliseconds and explodes only when something walks or prints it. This walk stops as soon as it is excessive.

/** Deeper than any real manifest (a CRD schema nests ~60 levels) and far inside what JS recursion survives. */
export const MAX_DEPTH = 500;

/** go-yaml v3's allowedAliasRatio: up to 400k nodes 99% may come from aliases, falling to 10% at 4M. */
function allowedAliasRatio(decoded: number): number {
  if (decoded <= 400_000) return 0.99;
  if (decoded >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decoded - 400_000) / 3_600_000);
}

/**
 * Why a parsed YAML document must be refused, or undefined. Walks it in document order as a decoder would, alias
 * expansions included (a map or list met a second time is an alias), and applies go-yaml v3's rule: more than 100
 * aliased nodes in more than 1000, above the allowed ratio, is "excessive aliasing"; nesting beyond MAX_DEPTH too.
 */
export function yamlLimitProblem(doc: unknown): string | undefined {
  const seen = new Set<object>();
  const stack: Array<{ node: unknown; depth: number; aliased: boolean }> = [{ node: doc, depth: 0, aliased: false }];
  let decoded = 0;
  let aliased = 0;
  while (stack.length > 0) {
    const { node, depth, aliased: inAlias } = stack.pop()!;
    decoded++;
    if (typeof node !== 'object' || node === null) {
      if (inAlias) aliased++;
      continue;
    }
    const isAlias = inAlias || seen.has(node);
    if (isAlias) aliased++;
    else seen.add(node);
    if (aliased > 100 && decoded > 1000 && aliased / decoded > allowedAliasRatio(decoded)) {
      return `excessive aliasing: its aliases expand to more than ${decoded} nodes (the Kubernetes API server refuses such a document too)`;
    }
    if (depth >= MAX_DEPTH) return `nested more than ${MAX_DEPTH} levels deep (no Kubernetes object is; refused as a likely attack or generator bug)`;
    const children = Array.isArray(node) ? node : Object.values(node);
    // Reverse, so the stack pops them in document order (an anchor is met before its aliases).
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i], depth: depth + 1, aliased: isAlias });
  }
  return undefined;
}

/** A parser's stack overflow (js-yaml recurses per nesting level) as a message a user can act on. */
export function nestingMessage(err: unknown): string | undefined {
  return err instanceof RangeError && /call stack/i.test(err.message)
    ? `nested too deeply to read (more than ${MAX_DEPTH} levels; no Kubernetes object is)`
    : undefined;
}
