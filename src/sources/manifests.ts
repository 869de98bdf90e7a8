// Reads Kubernetes manifests from files, folders (recursively) and stdin: multi-document YAML, JSON, and `List`
// kinds. Each object keeps its file, document index and line, so reports can point at it; a broken document
// becomes an error with file and line while the other documents are still read.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import yaml from 'js-yaml';
import { isKubeObject, type KubeObject } from '../kube/objects.ts';

export interface ManifestSource {
  /** Path as given (or `-` for stdin). */
  file: string;
  /** 0-based index of the document in its file (items of a List share their document's index). */
  index: number;
  /** 1-based line where the document (or List item) starts. */
  line: number;
}

export interface ManifestDocument {
  source: ManifestSource;
  object: KubeObject;
}

export interface ManifestError {
  file: string;
  line?: number;
  message: string;
}

export interface ManifestReadResult {
  documents: ManifestDocument[];
  errors: ManifestError[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Reads every input (`-` is stdin text, given as `stdinText`). */
export function readManifests(inputs: string[], stdinText?: string): ManifestReadResult {
  const result: ManifestReadResult = { documents: [], errors: [] };
  for (const input of inputs) {
    if (input === '-') {
      parseManifestText(stdinText ?? '', '-', result);
      continue;
    }
    let files: string[];
    try {
      files = statSync(input).isDirectory() ? listManifestFiles(input) : [input];
    } catch (err) {
      result.errors.push({ file: input, message: `cannot read: ${errnoMessage(err)}` });
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
      parseManifestText(text, file, result);
    }
  }
  return result;
}

export function listManifestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listManifestFiles(path));
    else if (MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(path);
  }
  return out;
}

/**
 * Parses one file's text. The fast path is one `loadAll` over the whole text plus a scan for where documents
 * start; only when the parse fails is the text split at `---` separators and each document parsed alone, so one
 * broken document does not hide the others and its error carries its own line.
 */
export function parseManifestText(text: string, file: string, into: ManifestReadResult): void {
  let docs: unknown[] | undefined;
  try {
    docs = yaml.loadAll(text, undefined, { filename: file });
  } catch {
    docs = undefined;
  }
  if (docs !== undefined) {
    const lines = documentLines(text);
    if (lines.length === docs.length) {
      docs.forEach((doc, index) => addDocument(doc, { file, index, line: lines[index] ?? 1 }, into));
      return;
    }
  }
  // Slow path: parse each document alone.
  documentStartLines(text).forEach((start, index) => {
    if (/^(\s*#.*\n?)*\s*$/.test(start.text)) return;
    try {
      const doc = yaml.load(start.text, { filename: file });
      addDocument(doc, { file, index, line: start.line }, into);
    } catch (err) {
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

function addDocument(doc: unknown, source: ManifestSource, into: ManifestReadResult): void {
  if (doc === null || doc === undefined) return; // empty document (a trailing `---`)
  if (!isKubeObject(doc)) {
    into.errors.push({ file: source.file, line: source.line, message: `document ${source.index + 1} is not an object (got ${Array.isArray(doc) ? 'a list' : typeof doc})` });
    return;
  }
  if (typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
    for (const item of doc.items as unknown[]) {
      if (isKubeObject(item)) into.documents.push({ source, object: item });
      else into.errors.push({ file: source.file, line: source.line, message: `an item of the ${doc.kind} is not an object` });
    }
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
  if (typeof obj.metadata !== 'object' || obj.metadata === null || (!obj.metadata.name && !obj.metadata.generateName)) {
    return `${obj.kind}: no metadata.name`;
  }
  return undefined;
}

function errnoMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message;
}
