// The README's dry-run and audit examples run as written from a fresh clone: each `$ flink-ha-webhook ...` line in
// its code blocks is run (in-process, through run(argv, io); `VAR=value` prefixes as the environment, `2>/dev/null`
// and `| jq` as a shell would), and every output line the README shows must appear, in order, in what it printed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../support/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Splits a shell line into pipeline stages of words: single quotes keep what is inside (spaces and `|` too). */
function pipeline(line: string): string[][] {
  const stages: string[][] = [[]];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === ' ' || ch === '|') {
      if (word !== undefined) stages.at(-1)!.push(word);
      word = undefined;
      if (ch === '|') stages.push([]);
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) stages.at(-1)!.push(word);
  return stages;
}

interface Example { command: string; shown: string[] }

/** `$ flink-ha-webhook dry-run|audit ...` commands in README code blocks, with the lines shown after each. */
function examples(): Example[] {
  const out: Example[] = [];
  for (const block of README.matchAll(/```[a-z]*\n([^]*?)```/g)) {
    let current: Example | undefined;
    for (const line of block[1]!.split('\n')) {
      if (line.startsWith('$ ')) {
        current = /(^|\s)flink-ha-webhook (dry-run|audit) /.test(line) ? { command: line.slice(2), shown: [] } : undefined;
        if (current) out.push(current);
      } else if (current && line.trim() !== '' && line.trim() !== '...') {
        current.shown.push(line.trimEnd());
      }
    }
  }
  return out;
}

const hasJq = spawnSync('jq', ['--version']).status === 0;

describe('the README\'s dry-run and audit examples run as written', () => {
  const found = examples();
  it('finds the examples (dry-run with and without a template, the DELETE question, the folder audit)', () => {
    assert.ok(found.length >= 4, found.map((e) => e.command).join('\n'));
  });
  for (const example of found) {
    it(example.command, { skip: /\| jq/.test(example.command) && !hasJq ? 'jq is not installed' : false }, async () => {
      const [all, ...piped] = pipeline(example.command) as [string[], ...string[][]];
      const env: Record<string, string> = {};
      while (all[0] && /^[A-Z_]+=/.test(all[0])) {
        const [k, ...v] = all.shift()!.split('=');
        env[k!] = v.join('=');
      }
      assert.equal(all.shift(), 'flink-ha-webhook');
      const quiet = all.includes('2>/dev/null');
      const args = all.filter((w) => w !== '2>/dev/null');
      const cwd = process.cwd();
      process.chdir(ROOT); // the paths in the README are relative to a clone's root
      let r;
      try {
        r = await runCli(args, { env });
      } finally {
        process.chdir(cwd);
      }
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
      let output = quiet ? r.stdout : `${r.stdout}${r.stderr}`;
      for (const [tool, ...toolArgs] of piped) {
        const p = spawnSync(tool!, toolArgs, { input: output, encoding: 'utf8' });
        assert.equal(p.status, 0, p.stderr);
        output = p.stdout;
      }
      const lines = output.split('\n').map((l) => l.trimEnd());
      let at = 0;
      for (const want of example.shown) {
        const next = lines.indexOf(want, at);
        assert.ok(next >= 0, `the README shows a line the command did not print (in this order):\n${want}\n--- printed:\n${output.slice(0, 4000)}`);
        at = next + 1;
      }
    });
  }
});
