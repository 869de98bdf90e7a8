// Reads Kubernetes manifests from files, folders (recursively) and stdin: multi-document YAML, JSON, and `List`
// kinds. Each object keeps its file, document index and line, so reports can point at it; a broken document
// becomes an error with file and line while the other documents are still read.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import yaml from 'js-yaml';
import { isKubeObject, type KubeObject } from '../kube/objects.ts';
import { isMap, metadataProblems } from '../flink/shape.ts';
import { loadAllBounded, loadBounded, nestingMessage, probeSchema } from '../kube/yaml-limits.ts';
import type { ManifestOrigin, Snapshot, SnapshotObject } from '../snapshot/snapshot.ts';

export { whereOf } from './origin.ts';

export interface ManifestDocument {
  source: ManifestOrigin;
  object: KubeObject;
}

export interface ManifestError {
  file: string;
  line?: number;
  item?: number;
  message: string;
}

export interface ManifestReadResult {
  documents: ManifestDocument[];
  errors: ManifestError[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * YAML as the API server's reader (sigs.k8s.io/yaml) types it: the core schema with merge keys, and no timestamps
 * (`2024-01-01` stays a string, as in Kubernetes; js-yaml's default would make it a Date). Also skips the
 * timestamp and binary matchers on every plain scalar, a sixth of the parse time of a large manifest set.
 */
// js-yaml 4 exports its built-in types as `types`; @types/js-yaml does not declare them.
const { merge } = (yaml as unknown as { types: { merge: yaml.Type } }).types;
const MANIFEST_SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [merge] });
/** The same without merge keys: what a document with aliases is first parsed with, to bound its cost (yaml-limits.ts). */
const MANIFEST_PROBE = probeSchema(yaml.CORE_SCHEMA);

/**
 * Reads every input (`-` is stdin text, given as `stdinText`). Input that checks nothing is an error, so that a CI
 * gate never passes having read nothing: an empty file or stdin, a folder with no manifest files, no object at all.
 */
export function readManifests(inputs: string[], stdinText?: string): ManifestReadResult {
  const result: ManifestReadResult = { documents: [], errors: [] };
  for (const input of inputs) {
    if (input === '-') {
      if ((stdinText ?? '').trim() === '') result.errors.push({ file: '-', message: 'stdin is empty: no Kubernetes object to check' });
      else parseManifestText(stdinText ?? '', '-', result);
      continue;
    }
    let files: string[];
    try {
      files = statSync(input).isDirectory() ? listManifestFiles(input) : [input];
    } catch (err) {
      result.errors.push({ file: input, message: `cannot read: ${errnoMessage(err)}` });
      continue;
    }
    if (files.length === 0) {
      result.errors.push({ file: input, message: `no manifest files (${[...MANIFEST_EXTENSIONS].join(', ')}) in this folder or below it: nothing to check` });
      continue;
    }
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        result.errors.push({ file, message: `cannot read: ${errnoMessage(err)}` });
        continue;
      }
      const before = result.documents.length + result.errors.length;
      parseManifestText(text, file, result);
      // A named file with nothing in it is a mistake; an empty file among many in a folder is a placeholder.
      if (file === input && result.documents.length + result.errors.length === before) {
        result.errors.push({ file, message: 'no Kubernetes object in this file (it is empty or only comments): nothing to check' });
      }
    }
  }
  if (result.documents.length === 0 && result.errors.length === 0) {
    result.errors.push({ file: inputs.join(', '), message: 'no Kubernetes object found: nothing was checked' });
  }
  return result;
}

/**
 * The manifest files under `dir`, sorted, recursively. Symlinks are followed (a GitOps checkout often links shared
 * folders in); a folder already being walked (a link back up the tree) is skipped, so a loop ends.
 */
export function listManifestFiles(dir: string, walking: Set<string> = new Set()): string[] {
  const real = realpathSync(dir);
  if (walking.has(real)) return [];
  walking.add(real);
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    if (entry.isSymbolicLink()) {
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        continue; // a dangling link: nothing to read
      }
    }
    if (isDir) out.push(...listManifestFiles(path, walking));
    else if (MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(path);
  }
  walking.delete(real);
  return out;
}

/**
 * Parses one file's text. The fast path is one `loadAll` over the whole text plus a scan for where documents
 * start; only when the parse fails is the text split at `---` separators and each document parsed alone, so one
 * broken document does not hide the others and its error carries its own line.
 */
export function parseManifestText(text: string, file: string, into: ManifestReadResult): void {
  let loaded: ReturnType<typeof loadAllBounded> | undefined;
  try {
    loaded = loadAllBounded(text, { schema: MANIFEST_SCHEMA, probe: MANIFEST_PROBE, filename: file });
  } catch {
    loaded = undefined;
  }
  if (loaded !== undefined) {
    const lines = documentLines(text);
    const count = loaded.ok ? loaded.docs.length : loaded.problems.length;
    if (lines.length === count) {
      if (loaded.ok) {
        loaded.docs.forEach((doc, index) => addDocument(doc, { file, index, line: lines[index] ?? 1 }, into));
        return;
      }
      // Some document is beyond the limits: without merge keys the probe's parse of the others is their parse.
      if (!text.includes('<<')) {
        const { problems, probed } = loaded;
        problems.forEach((problem, index) => addChecked(problem, probed[index], { file, index, line: lines[index] ?? 1 }, into));
        return;
      }
    }
  }
  // Slow path: parse each document alone.
  documentStartLines(text).forEach((start, index) => {
    if (/^(\s*#.*\n?)*\s*$/.test(start.text)) return;
    try {
      const one = loadBounded(start.text, { schema: MANIFEST_SCHEMA, probe: MANIFEST_PROBE });
      addChecked(one.ok ? undefined : one.problem, one.ok ? one.doc : undefined, { file, index, line: start.line }, into);
    } catch (err) {
      const nesting = nestingMessage(err);
      if (nesting) {
        into.errors.push({ file, line: start.line, message: `document ${index + 1} is ${nesting}` });
        return;
      }
      const mark = (err as { mark?: { line?: number } }).mark;
      const reason = (err as { reason?: string }).reason ?? (err as Error).message.split('\n')[0];
      // js-yaml reports "end of stream" errors past the last line; point at the document's last content line.
      const lastContentLine = start.text.trimEnd().split('\n').length - 1;
      const offset = Math.min(mark?.line ?? 0, lastContentLine);
      into.errors.push({ file, line: start.line + offset, message: `YAML syntax error: ${reason}` });
    }
  });
}

const SEPARATOR = /^---(?:[ \t].*)?$/gm;

/**
 * The 1-based line of each document's first content line, one per document `loadAll` yields, found without
 * splitting the text into lines (a 20 MB Helm render has half a million of them).
 */
function documentLines(text: string): number[] {
  // Most files of a GitOps repository hold one document: no separator, nothing to scan for.
  if (!text.includes('---')) return [firstContentLine(text, 0, 1)];
  const starts: number[] = [];
  let line = 1;
  let pos = 0;
  const lineAt = (offset: number): number => {
    for (let i = text.indexOf('\n', pos); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
    pos = offset;
    return line;
  };
  let docStart = 0;
  let first = true;
  for (const m of text.matchAll(SEPARATOR)) {
    if (!(first && text.slice(0, m.index).trim() === '')) starts.push(firstContentLine(text, docStart, lineAt(docStart)));
    first = false;
    docStart = m.index + m[0].length + 1;
  }
  starts.push(firstContentLine(text, docStart, lineAt(Math.min(docStart, text.length))));
  return starts;
}

/** Skips blank and comment lines from `offset` (which is on `line`). */
function firstContentLine(text: string, offset: number, line: number): number {
  let at = offset;
  let n = line;
  for (;;) {
    const end = text.indexOf('\n', at);
    const current = text.slice(at, end === -1 ? text.length : end);
    if (end === -1 || !/^\s*(#.*)?$/.test(current)) return n;
    at = end + 1;
    n++;
  }
}

/** A document beyond the API server's YAML limits (alias expansion, nesting) is an error; the rest are read. */
function addChecked(problem: string | undefined, doc: unknown, source: ManifestOrigin, into: ManifestReadResult): void {
  if (problem) into.errors.push({ file: source.file, line: source.line, message: `document ${source.index + 1} refused: ${problem}` });
  else addDocument(doc, source, into);
}

function addDocument(doc: unknown, source: ManifestOrigin, into: ManifestReadResult): void {
  if (doc === null || doc === undefined) return; // empty document (a trailing `---`)
  if (!isKubeObject(doc)) {
    into.errors.push({ file: source.file, line: source.line, message: `document ${source.index + 1} is not an object (got ${Array.isArray(doc) ? 'a list' : typeof doc})` });
    return;
  }
  if (typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
    doc.items.forEach((item: unknown, i: number) => {
      if (isKubeObject(item)) into.documents.push({ source: { ...source, item: i }, object: item });
      else into.errors.push({ file: source.file, line: source.line, item: i, message: `an item of the ${doc.kind} is not an object (got ${Array.isArray(item) ? 'a list' : item === null ? 'null' : typeof item})` });
    });
    return;
  }
  into.documents.push({ source, object: doc });
}

interface DocumentStart {
  line: number;
  text: string;
}

/** Splits at `---` lines (YAML document separators), remembering where each document starts. */
function documentStartLines(text: string): DocumentStart[] {
  const lines = text.split('\n');
  const out: DocumentStart[] = [];
  let current: string[] = [];
  let startLine = 1;
  lines.forEach((lineText, i) => {
    if (/^---(\s|$)/.test(lineText)) {
      if (current.length > 0 || out.length > 0 || i > 0) out.push({ line: startLine, text: current.join('\n') });
      current = [lineText.replace(/^---\s?/, '')];
      startLine = i + 1;
    } else {
      current.push(lineText);
    }
  });
  out.push({ line: startLine, text: current.join('\n') });
  // Skip leading comment/blank lines so `line` points at the document's first content line.
  return out.map((d) => {
    const docLines = d.text.split('\n');
    let skip = 0;
    while (skip < docLines.length - 1 && /^\s*(#.*)?$/.test(docLines[skip] ?? '')) skip++;
    return { line: d.line + skip, text: docLines.slice(skip).join('\n') };
  });
}

/** Why a document is not a Kubernetes object the API server would accept (dry-run and audit skip it), if it is not. */
export function manifestProblem(obj: KubeObject): string | undefined {
  if (typeof obj.kind !== 'string' || obj.kind === '') return 'not a Kubernetes object: no kind';
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') return `${obj.kind}: no apiVersion`;
  const metadata: unknown = obj.metadata;
  const problems = metadataProblems(metadata);
  if (problems.length > 0) return `${obj.kind}: ${problems.join('; ')}`;
  if (!isMap(metadata) || (!metadata.name && !metadata.generateName)) return `${obj.kind}: no metadata.name`;
  return undefined;
}

function errnoMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message;
}

/**
 * The snapshot of what was read, for dry-run and audit alike: every readable Kubernetes object with its origin; a
 * document that is no object the API server would accept joins the input errors (both faces report it the same).
 */
export function manifestSnapshot(read: ManifestReadResult, defaultNamespace: string): { snapshot: Snapshot; errors: ManifestError[] } {
  const errors = [...read.errors];
  const objects: SnapshotObject[] = [];
  for (const { source, object } of read.documents) {
    const problem = manifestProblem(object);
    if (problem) errors.push({ file: source.file, line: source.line, item: source.item, message: problem });
    else objects.push({ object, origin: source });
  }
  return { snapshot: { objects, defaultNamespace }, errors };
}
