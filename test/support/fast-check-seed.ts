// One fast-check seed for every property of a test process, so a failure found in CI can be replayed: FC_SEED when
// set, otherwise random. fast-check names the seed in a failure's message (`{ seed: -1234, path: ... }`); re-run with
// FC_SEED=-1234 to get the same inputs. Each property keeps its own numRuns (only the seed is set here).
import fc from 'fast-check';

/** The seed of this process's properties, from FC_SEED (a 32-bit integer, as fast-check prints it) or random. */
export const FC_SEED = seedOf(process.env.FC_SEED);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: FC_SEED });

function seedOf(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return (Date.now() ^ (Math.random() * 0x1_0000_0000)) | 0;
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < -0x8000_0000 || seed > 0xffff_ffff) {
    throw new Error(`FC_SEED must be the integer fast-check printed as "seed" (a 32-bit integer), got ${JSON.stringify(raw)}`);
  }
  return seed;
}
