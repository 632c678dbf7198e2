import { Prng } from '../../fuzz/prng.js';

/**
 * Seeded randomness for the chaos suite: the fuzz suite's generator (mulberry32), so the same seed picks
 * the same faults, at the same points, in the same order, and a failing run is reproduced with
 * `CHAOS_SEED=<seed>`.
 */
export class Rng extends Prng {
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** The seed from CHAOS_SEED, else a fresh one (printed by the runner either way). */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CHAOS_SEED?.trim();
  if (raw) {
    const seed = Number(raw);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new Error(`CHAOS_SEED must be an integer from 0 to 4294967295 (got "${raw}")`);
    return seed;
  }
  return Math.floor(Math.random() * 0xffffffff);
}
