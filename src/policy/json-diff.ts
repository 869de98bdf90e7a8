// A JSON patch from one document to another that skips shared subtrees by reference. decide() copies only the
// paths its rules edit and shares the rest of the object with the request, so the diff costs what was edited,
// not the size of the object (fast-json-patch's compare walks every node of both sides).
import type { Operation } from 'fast-json-patch';

export function diffJson(before: unknown, after: unknown, path = ''): Operation[] {
  const ops: Operation[] = [];
  walk(before, after, path, ops);
  return ops;
}

function walk(a: unknown, b: unknown, path: string, ops: Operation[]): void {
  if (a === b) return;
  if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
    const aObj = a as Record<string, unknown>;
    const bObj = b as Record<string, unknown>;
    const aKeys = Object.keys(aObj);
    // Removals from the end first, so array indices stay valid while the patch is applied.
    for (let i = aKeys.length - 1; i >= 0; i--) {
      const key = aKeys[i]!;
      const bv = bObj[key];
      if (bv === undefined || !Object.hasOwn(bObj, key)) ops.push({ op: 'remove', path: `${path}/${escape(key)}` });
      // Shared subtrees are most of the object: skip them before building their path.
      else if (aObj[key] !== bv) walk(aObj[key], bv, `${path}/${escape(key)}`, ops);
    }
    for (const key of Object.keys(bObj)) {
      if (!Object.hasOwn(aObj, key) && bObj[key] !== undefined) ops.push({ op: 'add', path: `${path}/${escape(key)}`, value: bObj[key] });
    }
    return;
  }
  if (isContainer(a) || isContainer(b) || a !== b) ops.push({ op: 'replace', path, value: b });
}

function isContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

/** JSON Pointer escaping (RFC 6901): `~` as `~0`, `/` as `~1`. */
function escape(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replaceAll('~', '~0').replaceAll('/', '~1') : key;
}
