import { FAULT_KINDS, OPERATIONS, type FaultKind, type Operation } from './kit/faults.js';
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
  const raw = process.env.CHAOS_STORE ?? 'disk';
  if (raw !== 'disk' && raw !== 's3') throw new Error(`CHAOS_STORE must be disk or s3 (got "${raw}")`);
  const store: 'disk' | 's3' = raw;
  // CHAOS_KINDS=s3-stall,postgres-down: only these faults (to reproduce or study one kind).
  const only = (process.env.CHAOS_KINDS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  // CHAOS_STEPS=restore: the fault hits only these workload steps (where its kind allows them).
  const steps = (process.env.CHAOS_STEPS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean) as Operation[];
  const badSteps = steps.filter((s) => !(OPERATIONS as readonly string[]).includes(s));
  if (badSteps.length > 0) throw new Error(`CHAOS_STEPS: unknown steps ${badSteps.join(', ')}`);
  const unknown = only.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`CHAOS_KINDS: unknown fault kinds ${unknown.join(', ')}`);
  return {
    seed: seedFromEnv(),
    faults,
    budgetMs: budgetMinutes * 60_000,
    store,
    logDir: process.env.CHAOS_LOG_DIR || undefined,
    ...(steps.length > 0 ? { steps } : {}),
    ...(only.length > 0 ? { only: only as FaultKind[] } : {}),
  };
}
