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
 * Parses one file's text. The fast path is one `loadAll` over the whole text; only when it fails is the text
 * split at `---` separators and each document parsed alone, so one broken document does not hide the others and
 * the error carries its own line.
 */
export function parseManifestText(text: string, file: string, into: ManifestReadResult): void {
  const starts = documentStartLines(text);
  let docs: unknown[] | undefined;
  try {
    docs = yaml.loadAll(text, undefined, { filename: file });
  } catch {
    docs = undefined;
  }
  if (docs !== undefined && docs.length === countNonEmpty(starts, text)) {
    let i = 0;
    for (const doc of docs) {
      const line = starts[i]?.line ?? 1;
      addDocument(doc, { file, index: i, line }, into);
      i++;
    }
    return;
  }
  // Slow path: parse each document alone.
  starts.forEach((start, index) => {
    if (start.text.trim() === '' || /^(\s*#.*\n?)*\s*$/.test(start.text)) return;
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

function countNonEmpty(starts: DocumentStart[], _text: string): number {
  // js-yaml's loadAll yields one value per document, including empty ones (as null/undefined).
  return starts.length;
}

function errnoMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message;
}
