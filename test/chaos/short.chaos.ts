import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, faultKindsFor } from './kit/faults.js';
import { runChaos } from './kit/runner.js';
import { chaosAvailability, chaosSettings } from './settings.js';

/**
 * The chaos suite's short run, part of the normal suite: one fault of each kind (control plane
 * SIGKILLed, game SIGKILLed mid-save, database down / slow / reset, NATS stopped, backup disk full,
 * backup store failing) against two replicas, every invariant checked after each. The long run is
 * `npm run test:chaos` (docs/reliability.md).
 */
const { available, why } = chaosAvailability();

describe.skipIf(!available)(`chaos, short run${available ? '' : ` (skipped: needs ${why})`}`, () => {
  it('one fault of each kind, every invariant holds after each', async () => {
    const { seed, store } = chaosSettings({ faults: FAULT_KINDS.length, budgetMinutes: 2 });
    const kinds = faultKindsFor({ store, replicas: 2 });
    const report = await runChaos({
      seed,
      store,
      faults: kinds.length,
      eachKindOnce: true,
      replicas: 2,
      servers: 1,
      budgetMs: 600_000,
      maxOutageMs: 2_000,
      log: (line) => console.log(line),
    });
    expect(report.faults).toBe(kinds.length);
    for (const kind of kinds) expect(report.faultsByKind[kind]).toBe(1);
    expect(report.violations).toEqual([]);
  }, 600_000);
});
