// Dry-run output: the mutated manifests as YAML (default), the JSON patches, a unified diff, or one JSON array.
// Every format names the rules that fired; the YAML and patch formats carry them as comments.
import yaml from 'js-yaml';
import { createTwoFilesPatch } from 'diff';
import type { DryRunResult } from './run.ts';
import { whereOf } from '../sources/manifests.ts';

export type DryRunFormat = 'yaml' | 'patch' | 'diff' | 'json';
export const DRY_RUN_FORMATS: readonly DryRunFormat[] = ['yaml', 'patch', 'diff', 'json'];

/** The output piece by piece, one object at a time, so a large run never holds all of it as one string. */
export function* formatDryRunChunks(results: DryRunResult[], format: DryRunFormat): Generator<string> {
  if (format === 'json') {
    yield '[';
    // One compact element per line: as readable to jq and diff tools as indented JSON, at a third of the cost.
    for (let i = 0; i < results.length; i++) yield `${i === 0 ? '\n' : ',\n'}${JSON.stringify(toJson(results[i]!))}`;
    yield results.length === 0 ? ']\n' : '\n]\n';
    return;
  }
  for (const r of results) yield formatOne(r, format);
}

function formatOne(r: DryRunResult, format: Exclude<DryRunFormat, 'json'>): string {
  switch (format) {
    case 'patch':
      return `${header(r)}${JSON.stringify(r.patch, null, 2)}\n`;
    case 'diff': {
      const before = dumpYaml(r.original);
      const after = r.object ? dumpYaml(r.object) : '';
      // An absolute path keeps one slash after a/ and b/; no header, so no trailing tab after the name.
      const label = `${r.source.file.replace(/^\/+/, '')}#${r.source.index} ${subject(r)}`;
      const body = before === after ? '' : createTwoFilesPatch(`a/${label}`, `b/${label}`, before, after, undefined, undefined, { context: 3 }).split('\n').slice(1).join('\n');
      return `${header(r)}${body}`;
    }
    case 'yaml':
      return `---\n${header(r)}${r.object ? dumpYaml(r.object) : ''}`;
  }
}

function toJson(r: DryRunResult): Record<string, unknown> {
  return {
    source: { file: r.source.file, index: r.source.index, line: r.source.line, ...(r.source.item !== undefined ? { item: r.source.item } : {}) },
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    allowed: r.allowed,
    patch: r.patch,
    object: r.object,
    findings: r.findings.map((f) => ({ rule: f.rule, action: f.action, message: f.message, ...(f.fix ? { fix: f.fix } : {}) })),
    ...(r.message ? { message: r.message } : {}),
  };
}

function subject(r: DryRunResult): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/** Comment lines: the object, the verdict and every rule that did something. */
function header(r: DryRunResult): string {
  const lines = [`# ${subject(r)} (${whereOf(r.source)}): ${r.allowed ? (r.patch.length > 0 ? 'mutated' : 'allowed') : 'DENIED (nothing applied)'}`];
  for (const f of r.findings) {
    if (f.action === 'passed') continue;
    lines.push(`#   [${f.rule}] ${f.action}: ${f.message}`);
    if (f.fix && (f.action === 'denied' || f.action === 'warned')) lines.push(`#     fix: ${f.fix}`);
  }
  return `${lines.join('\n')}\n`;
}

function dumpYaml(obj: unknown): string {
  return yaml.dump(obj, { lineWidth: -1, noRefs: true });
}
