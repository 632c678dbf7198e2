import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runChaos } from './kit/runner.js';
import { chaosAvailability, chaosSettings } from './settings.js';

/**
 * The long chaos run (`npm run test:chaos`): CHAOS_FAULTS faults (default 20) of every kind at random
 * points while a bot-checked world is built, backed up and restored, on two control-plane replicas
 * (CHAOS_REPLICAS=1 for one), against a tmpfs backup disk or, with CHAOS_STORE=s3, an S3 server behind
 * a faulty proxy. CHAOS_SEED reproduces a run; CHAOS_REPORT=<file> writes the report as
 * JSON. See docs/reliability.md.
 */
const { available, why } = chaosAvailability();

describe.skipIf(!available)(`chaos run${available ? '' : ` (skipped: needs ${why})`}`, () => {
  it('every invariant holds after every fault', async () => {
    const settings = chaosSettings({ faults: 20, budgetMinutes: 120 });
    const report = await runChaos({
      ...settings,
      replicas: process.env.CHAOS_REPLICAS === '1' ? 1 : 2,
      servers: 2,
      maxOutageMs: Number(process.env.CHAOS_MAX_OUTAGE_MS ?? 8_000),
      log: (line) => console.log(line),
    });
    if (process.env.CHAOS_REPORT) await writeFile(process.env.CHAOS_REPORT, JSON.stringify(report, null, 2));
    expect(report.faults).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
  });
});
