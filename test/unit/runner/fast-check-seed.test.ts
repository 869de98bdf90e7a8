// test/support/fast-check-seed.ts: FC_SEED replays a property run exactly; without it the seed is random and a
// failure names it (what docs/testing.md tells a reader to copy into FC_SEED).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SEEDED = pathToFileURL(join(import.meta.dirname, '..', '..', 'support', 'fast-check-seed.ts')).href;
// A property that fails for most seeds, with a counterexample that depends on the seed before shrinking.
const SCRIPT = `
import fc from 'fast-check';
import { FC_SEED } from ${JSON.stringify(SEEDED)};
try { fc.assert(fc.property(fc.array(fc.integer()), (xs) => xs.length < 3), { numRuns: 200 }); } catch (e) { console.log(e.message.split('\\n').slice(0, 3).join('\\n')); }
console.log('seed used', FC_SEED);`;

function run(fcSeed: string | undefined): Promise<{ code: number; out: string }> {
  const env = { ...process.env };
  delete env.FC_SEED;
  if (fcSeed !== undefined) env.FC_SEED = fcSeed;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }));
  });
}

describe('FC_SEED', () => {
  it('replays: the same seed gives the same failure, and the failure names it', async () => {
    const [a, b] = await Promise.all([run('-123456789'), run('-123456789')]);
    assert.equal(a.code, 0, a.out);
    assert.match(a.out, /Property failed after \d+ tests\n\{ seed: -123456789, path: /, `the failure names FC_SEED:\n${a.out}`);
    assert.equal(a.out, b.out, 'two runs with one FC_SEED fail alike');
  });

  it('is random when unset, and the failure names the seed that was used', async () => {
    const r = await run(undefined);
    const used = /seed used (-?\d+)/.exec(r.out)?.[1];
    assert.ok(used !== undefined, `the seed is known: ${r.out}`);
    assert.match(r.out, new RegExp(`\\{ seed: ${used}, path: `), `the failure names seed ${used}:\n${r.out}`);
  });

  it('refuses a value that is not a seed, saying what it wants', async () => {
    const r = await run('abc');
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /FC_SEED must be the integer fast-check printed as "seed"/, r.out);
  });
});
