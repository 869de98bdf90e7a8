import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifestText, readManifests, type ManifestReadResult } from '../../../src/sources/manifests.ts';

const parse = (text: string): ManifestReadResult => {
  const into: ManifestReadResult = { documents: [], errors: [] };
  parseManifestText(text, 'm.yaml', into);
  return into;
};

describe('manifest reader', () => {
  const rows: Array<{ name: string; text: string; lines: number[]; errors?: string[] }> = [
    { name: 'one document', text: 'kind: A\n', lines: [1] },
    { name: 'a leading separator and comments (Helm output)', text: '---\n# Source: chart/templates/a.yaml\nkind: A\n---\n# Source: chart/templates/b.yaml\n\nkind: B\n', lines: [3, 7] },
    { name: 'empty documents between separators are skipped', text: 'kind: A\n---\n---\nkind: B\n---\n', lines: [1, 4] },
    { name: 'a JSON document', text: '{"kind": "A", "metadata": {"name": "x"}}', lines: [1] },
    { name: 'a broken document among good ones: the rest is read, the error has its line', text: 'kind: A\n---\nkind: B\nmetadata: {name: [x\n---\nkind: C\n', lines: [1, 6], errors: ['m.yaml:4: YAML syntax error'] },
    { name: 'a scalar document is an error with its line', text: 'kind: A\n---\njust text\n', lines: [1], errors: ['m.yaml:3: document 2 is not an object'] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const r = parse(row.text);
      assert.deepEqual(r.documents.map((d) => d.source.line), row.lines);
      const errors = r.errors.map((e) => `${e.file}:${e.line}: ${e.message}`);
      assert.equal(errors.length, (row.errors ?? []).length, errors.join('\n'));
      (row.errors ?? []).forEach((prefix, i) => assert.ok(errors[i]!.startsWith(prefix), `${errors[i]} starts with ${prefix}`));
    });
  }

  it('expands a List into its items, each pointing at the List', () => {
    const r = parse('apiVersion: v1\nkind: List\nitems:\n- {kind: A}\n- {kind: B}\n');
    assert.deepEqual(r.documents.map((d) => `${d.object.kind}@${d.source.line}`), ['A@1', 'B@1']);
  });

  it('reads folders recursively (yaml, yml, json), skips other files, and names unreadable inputs', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fhw-read-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'nested'));
    writeFileSync(join(dir, 'a.yaml'), 'kind: A\n');
    writeFileSync(join(dir, 'nested', 'b.yml'), 'kind: B\n');
    writeFileSync(join(dir, 'nested', 'c.json'), '{"kind": "C"}');
    writeFileSync(join(dir, 'notes.txt'), 'kind: Nope\n');
    const r = readManifests([dir, join(dir, 'missing.yaml')]);
    assert.deepEqual(r.documents.map((d) => d.object.kind), ['A', 'B', 'C']);
    assert.deepEqual(r.errors.map((e) => e.message), ['cannot read: no such file or directory']);
  });

  it('reads stdin as -', () => {
    assert.equal(readManifests(['-'], 'kind: FromStdin\n').documents[0]!.source.file, '-');
  });
});
