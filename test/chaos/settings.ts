import { seedFromEnv } from './kit/rng.js';

/**
 * What the chaos runs need from this machine: PostgreSQL (the database faults go through a proxy in
 * front of it), root (the backup disk is a tmpfs of their own) and nats-server (the two-replica run
 * starts its own, never the shared one). CI (MINEFLEET_REQUIRE_POSTGRES=1) fails instead of skipping.
 */
export function chaosAvailability(): { available: boolean; why: string } {
  const missing: string[] = [];
  if (!process.env.DATABASE_URL) missing.push('DATABASE_URL (PostgreSQL)');
  if (process.getuid?.() !== 0) missing.push('root (to mount the tmpfs backup disk)');
  const available = missing.length === 0;
  if (!available && process.env.MINEFLEET_REQUIRE_POSTGRES === '1')
    throw new Error(`MINEFLEET_REQUIRE_POSTGRES=1: the chaos suite needs ${missing.join(', ')}.`);
  return { available, why: missing.join(', ') };
}

export function chaosSettings(defaults: { faults: number; budgetMinutes: number }) {
  const faults = Number(process.env.CHAOS_FAULTS ?? defaults.faults);
  if (!Number.isInteger(faults) || faults < 1 || faults > 100_000)
    throw new Error(`CHAOS_FAULTS must be an integer from 1 to 100000 (got "${process.env.CHAOS_FAULTS}")`);
  const budgetMinutes = Number(process.env.CHAOS_BUDGET_MINUTES ?? defaults.budgetMinutes);
  if (!(budgetMinutes > 0)) throw new Error('CHAOS_BUDGET_MINUTES must be a positive number');
  return { seed: seedFromEnv(), faults, budgetMs: budgetMinutes * 60_000 };
}
