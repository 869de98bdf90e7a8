// The YAML limits, checked before a document is expanded: each row a document refused (with the reason) or read
// (and then exactly what js-yaml reads). The cost itself is bench/hostile.bench.ts's; here only the answers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { loadAllBounded, loadBounded, probeSchema, yamlLimitProblem, type YamlLimits } from '../../../src/kube/yaml-limits.ts';

const { merge } = (yaml as unknown as { types: { merge: yaml.Type } }).types;
const SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [merge] });
const PROBE = probeSchema(yaml.CORE_SCHEMA);
const list = (n: number, item = '1') => `[${Array.from({ length: n }, () => item).join(', ')}]`;
const keys = (n: number) => `{${Array.from({ length: n }, (_, i) => `k${i}: 1`).join(', ')}}`;

/** 9 levels of 9 aliases: 9^9 nodes once expanded. */
const laughs = ['a0: &a0 [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} ${list(9, `*a${i}`)}`)].join('\n');
/** A 4000-key map aliased ten at a time under nine keys: 3.4 MiB of JSON from 40 KB. */
const mapTen = [`a0: &a0 ${keys(4000)}`, ...Array.from({ length: 9 }, (_, i) => `b${i}: {${Array.from({ length: 10 }, (_, j) => `x${j}: *a0`).join(', ')}}`)].join('\n');
/** 1000 merges of a 4000-key map: js-yaml would copy 4 million keys while parsing. */
const mergeBomb = [`a0: &a0 ${keys(4000)}`, ...Array.from({ length: 1000 }, (_, i) => `m${i}: {<<: *a0}`)].join('\n');

const refused: Array<{ name: string; text: string; limits?: YamlLimits; says: RegExp }> = [
  { name: 'a billion laughs', text: laughs, says: /^excessive aliasing: its aliases expand it to about \d+ MiB of JSON, more than the 3\.0 MiB the Kubernetes API server accepts/ },
  { name: 'big maps aliased ten at a time', text: mapTen, says: /^excessive aliasing: .*3\.4 MiB of JSON/ },
  { name: 'merge keys of a big map', text: mergeBomb, says: /^excessive aliasing: .*MiB of JSON/ },
  // Small once expanded, but 99.5% from aliases: go-yaml v3's ratio rule (the API server refuses it too).
  { name: 'go-yaml\'s alias ratio', text: `a: &a ${list(10)}\nb: ${list(200, '*a')}`, says: /^excessive aliasing: its aliases expand to more than \d+ nodes \(the Kubernetes API server refuses/ },
  { name: 'an alias inside its own anchor (a cycle)', text: 'a: &a {x: *a}', says: /an alias refers to a map or list that contains it/ },
  { name: 'nesting built from an alias', text: `x: &a ${'['.repeat(300)}1${']'.repeat(300)}\ny: ${'['.repeat(300)}*a${']'.repeat(300)}`, says: /^nested more than 500 levels deep/ },
  { name: 'more nodes from aliases than the caller allows', text: `a: &a ${list(100)}\nb: [*a, *a]`, limits: { maxAliasedNodes: 150 }, says: /^excessive aliasing: more than 150 of its nodes come from aliases/ },
  { name: 'an expansion larger than the caller allows', text: `a: &a ${list(100)}\nb: [*a, *a]`, limits: { maxExpandedBytes: 500, bytesWhy: 'a test allows' }, says: /more than the 1 KiB a test allows/ },
];

const read: Array<{ name: string; text: string; limits?: YamlLimits }> = [
  { name: 'no alias at all', text: `a: ${keys(50)}\nb: ${list(50)}` },
  { name: 'a list reused a few times', text: `a: &a ${list(10)}\nb: [*a, *a, *a]` },
  { name: 'merge keys, as js-yaml merges them', text: 'base: &base {image: flink, replicas: 2}\njm: {<<: *base, replicas: 3}' },
  { name: 'two merge keys in one map', text: 'a: &a {x: 1}\nb: {<<: *a, <<: {y: 2}}' },
  { name: 'a list of merge sources', text: 'a: &a {x: 1}\nb: &b {y: 2}\nc: {<<: [*a, *b], z: 3}' },
  { name: 'a scalar alias', text: 'a: &a hello\nb: *a' },
  { name: 'within the caller\'s cap', text: `a: &a ${list(100)}\nb: [*a]`, limits: { maxAliasedNodes: 150 } },
];

describe('YAML limits: refused before anything expands the document', () => {
  for (const row of refused) {
    it(`refuses ${row.name}`, () => {
      const r = loadBounded(row.text, { schema: SCHEMA, probe: PROBE, ...(row.limits ? { limits: row.limits } : {}) });
      assert.equal(r.ok, false, `${row.name} is refused`);
      assert.match(r.ok ? '' : r.problem, row.says);
    });
  }
  for (const row of read) {
    it(`reads ${row.name}, as js-yaml does`, () => {
      const r = loadBounded(row.text, { schema: SCHEMA, probe: PROBE, ...(row.limits ? { limits: row.limits } : {}) });
      assert.ok(r.ok, `${row.name} is read: ${r.ok ? '' : r.problem}`);
      assert.deepEqual(r.doc, yaml.load(row.text, { schema: SCHEMA }), 'the same document js-yaml reads');
    });
  }

  it('loadAllBounded: one document beyond the limits, the others read from the probe', () => {
    const r = loadAllBounded(`a: 1\n---\n${laughs}\n---\nb: &b [1]\nc: *b\n`, { schema: SCHEMA, probe: PROBE });
    assert.equal(r.ok, false, 'not all within limits');
    assert.deepEqual(r.ok ? [] : r.problems.map((p) => p === undefined ? 'ok' : 'refused'), ['ok', 'refused', 'ok']);
    assert.deepEqual(r.ok ? undefined : r.probed[2], { b: [1], c: [1] });
  });

  it('a document with no map or list is within limits', () => {
    assert.equal(yamlLimitProblem('text'), undefined);
    assert.equal(yamlLimitProblem(null), undefined);
  });
});
