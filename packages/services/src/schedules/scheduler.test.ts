import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberships, scheduleRuns, schedules, servers, tenants, users } from '@minefleet/db/schema';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { serverRow } from '@minefleet/testkit/records';
import { silentLogger } from '../logger.js';
import { seedSkus } from '../skus.js';
import { nextRun } from './cron.js';
import { Scheduler, type RunOutcome } from './scheduler.js';
import type { ScheduleRecord } from './schedule-service.js';

const MINUTE = 60_000;
const T0 = Date.parse('2030-01-07T04:00:00Z');

/**
 * The scheduler's protocol on a real database with an injected clock: a schedule fires once per planned
 * time whatever the number of schedulers (replicas, or a control plane restarted within the minute),
 * disabled schedules never fire, missed runs are caught up once within the grace window and skipped
 * after it, and a run claimed by a scheduler that died is failed at the next boot, never run again.
 */
describe.each(testBackends())('scheduler on %s', (backend) => {
  let t: TestDatabase;
  let tenantId: string;
  let serverId: string;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    await seedSkus(t.database);
    tenantId = randomUUID();
    serverId = randomUUID();
    await t.database.system(async (tx) => {
      await tx.insert(tenants).values({ id: tenantId, name: 'scheduler test' });
      await tx.insert(servers).values(
        serverRow({
          id: serverId,
          tenantId,
          name: 'scheduled',
          skuId: 'starter',
          status: 'stopped',
          maxPlayers: 5,
        }),
      );
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const clockAt = (ms: number) => ({ now: () => ms });
  const logger = silentLogger;

  async function schedule(fields: Partial<typeof schedules.$inferInsert> = {}): Promise<ScheduleRecord> {
    const cron = fields.cron ?? '0 * * * *';
    const [row] = await t.database.system((tx) =>
      tx
        .insert(schedules)
        .values({
          tenantId,
          serverId,
          cron,
          action: 'command',
          payload: { command: 'say hi' },
          nextRunAt: new Date(nextRun(cron, 'UTC', T0 - 1)!),
          ...fields,
        })
        .returning(),
    );
    return row!;
  }

  function scheduler(now: number, execute: (s: ScheduleRecord) => Promise<RunOutcome>, graceMs = 5 * MINUTE) {
    return new Scheduler({
      db: t.database,
      clock: clockAt(now),
      logger,
      execute,
      owns: () => true,
      graceMs,
      tickMs: 1000,
    });
  }

  const runsOf = (id: string) =>
    t.database.system((tx) => tx.select().from(scheduleRuns).where(eq(scheduleRuns.scheduleId, id)));
  const reload = async (id: string) =>
    (await t.database.system((tx) => tx.select().from(schedules).where(eq(schedules.id, id))))[0]!;

  it('fires a due schedule once, records the run and advances next_run_at', async () => {
    const s = await schedule({ cron: '0 * * * *' });
    expect(s.nextRunAt!.getTime()).toBe(T0);
    const fired: string[] = [];
    const one = scheduler(T0 + 1_000, async (x) => {
      if (x.id === s.id) fired.push(x.id);
      return { status: 'succeeded' };
    });
    await one.tick();
    await one.tick(); // same instant again: nothing more is due
    await one.close();
    expect(fired).toEqual([s.id]);
    const runs = await runsOf(s.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded', error: null });
    expect(runs[0]!.scheduledFor.getTime()).toBe(T0);
    const after = await reload(s.id);
    expect(after.nextRunAt!.getTime()).toBe(T0 + 60 * MINUTE);
    expect(after.lastStatus).toBe('succeeded');
  });

  it('two schedulers racing for the same planned time run it once', async () => {
    const s = await schedule({ cron: '0 * * * *' });
    let executions = 0;
    const execute = async (x: ScheduleRecord) => {
      if (x.id === s.id) executions++;
      return { status: 'succeeded' } as const;
    };
    for (let round = 0; round < 5; round++) {
      const at = T0 + round * 60 * MINUTE + 500;
      const a = scheduler(at, execute);
      const b = scheduler(at, execute);
      await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
      await Promise.all([a.close(), b.close()]);
    }
    expect(executions).toBe(5);
    const runs = await runsOf(s.id);
    expect(runs.map((r) => r.scheduledFor.getTime()).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => T0 + i * 60 * MINUTE),
    );
  });

  it('a control plane restarted within the minute does not run it again; the dead one’s run is failed', async () => {
    const s = await schedule({ cron: '30 4 * * *' });
    const planned = s.nextRunAt!.getTime();
    // The first control plane claims the run and dies before the action finishes.
    let release!: () => void;
    const hung = new Promise<RunOutcome>((resolve) => (release = () => resolve({ status: 'succeeded' })));
    const dying = scheduler(planned + 2_000, () => hung);
    await dying.tick();
    // A new one, 20 s later, in the same minute.
    let again = 0;
    const restarted = scheduler(planned + 20_000, async (x) => {
      if (x.id === s.id) again++;
      return { status: 'succeeded' };
    });
    expect(await restarted.recover()).toBeGreaterThanOrEqual(1);
    await restarted.tick();
    await restarted.close();
    expect(again).toBe(0);
    const [run] = await runsOf(s.id);
    expect(run).toMatchObject({ status: 'failed' });
    expect(run!.error).toMatch(/Interrupted/);
    release();
    await dying.close();
  });

  it('never fires a disabled schedule', async () => {
    const s = await schedule({ enabled: false });
    let fired = 0;
    const one = scheduler(T0 + MINUTE, async (x) => {
      if (x.id === s.id) fired++;
      return { status: 'succeeded' };
    });
    await one.tick();
    await one.close();
    expect(fired).toBe(0);
    expect(await runsOf(s.id)).toEqual([]);
  });

  it('catches up a missed run once within the grace window, and skips (recorded) older ones', async () => {
    const late = await schedule({ cron: '*/10 * * * *' });
    const missed = await schedule({ cron: '*/10 * * * *' });
    // `late`: down for 3 minutes past its time (several times would make it one run, not a burst).
    let runs = 0;
    const count = async (x: ScheduleRecord) => {
      if (x.id === late.id || x.id === missed.id) runs++;
      return { status: 'succeeded' } as const;
    };
    const soon = scheduler(T0 + 3 * MINUTE, count, 5 * MINUTE);
    await soon.tick();
    await soon.close();
    expect(runs).toBe(2); // both were 3 minutes late at that point
    expect((await reload(late.id)).nextRunAt!.getTime()).toBe(T0 + 10 * MINUTE);

    // `missed`: back 47 minutes after its next planned time (T0 + 10 min), past the 5-minute grace.
    runs = 0;
    await t.database.system((tx) =>
      tx.update(schedules).set({ enabled: false }).where(eq(schedules.id, late.id)),
    );
    const much = scheduler(T0 + 57 * MINUTE, count, 5 * MINUTE);
    await much.tick();
    await much.close();
    expect(runs).toBe(0);
    const recorded = (await runsOf(missed.id)).sort(
      (a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime(),
    );
    expect(recorded.map((r) => r.status)).toEqual(['succeeded', 'skipped']);
    expect(recorded[1]!.scheduledFor.getTime()).toBe(T0 + 10 * MINUTE);
    expect(recorded[1]!.error).toMatch(/Missed/);
    const after = await reload(missed.id);
    expect(after.nextRunAt!.getTime()).toBe(T0 + 60 * MINUTE);
    expect(after.lastStatus).toBe('skipped');
  });

  it('records a failing action as failed with its error', async () => {
    const s = await schedule({ cron: '15 4 * * *' });
    const one = scheduler(s.nextRunAt!.getTime(), () => Promise.reject(new Error('boom')));
    await one.tick();
    await one.close();
    const [run] = await runsOf(s.id);
    expect(run).toMatchObject({ status: 'failed', error: 'boom' });
  });

  it('a schedule whose creator left the tenant (or lost the permission) is skipped and paused', async () => {
    const member = async (role: 'operator' | 'viewer') => {
      const id = randomUUID();
      await t.database.system(async (tx) => {
        await tx
          .insert(users)
          .values({ id, email: `${id}@example.test`, passwordHash: 'x', displayName: 'm' });
        await tx.insert(memberships).values({ tenantId, userId: id, role });
      });
      return id;
    };
    const leaver = await member('operator');
    const demoted = await member('operator');
    const gone = await schedule({ cron: '5 * * * *', createdBy: leaver });
    const weaker = await schedule({ cron: '5 * * * *', createdBy: demoted });
    const legacy = await schedule({ cron: '5 * * * *', createdBy: null });
    const fired: string[] = [];
    const record = async (x: ScheduleRecord) => {
      fired.push(x.id);
      return { status: 'succeeded' } as const;
    };
    // While both are operators, their schedules run.
    const first = scheduler(gone.nextRunAt!.getTime(), record);
    await first.tick();
    await first.close();
    expect(fired).toEqual(expect.arrayContaining([gone.id, weaker.id, legacy.id]));

    // One is removed from the tenant, the other demoted to viewer (no control.console).
    await t.database.system(async (tx) => {
      await tx
        .delete(memberships)
        .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, leaver)));
      await tx
        .update(memberships)
        .set({ role: 'viewer' })
        .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, demoted)));
    });
    fired.length = 0;
    const second = scheduler(gone.nextRunAt!.getTime() + 60 * MINUTE, record);
    await second.tick();
    await second.close();
    expect(fired).not.toContain(gone.id);
    expect(fired).not.toContain(weaker.id);
    expect(fired).toContain(legacy.id); // no recorded creator: runs as before

    const latest = async (id: string) =>
      (await runsOf(id)).sort((a, b) => b.scheduledFor.getTime() - a.scheduledFor.getTime())[0]!;
    expect(await latest(gone.id)).toMatchObject({ status: 'skipped' });
    expect((await latest(gone.id)).error).toMatch(/no longer a member/);
    expect(await latest(weaker.id)).toMatchObject({ status: 'skipped' });
    expect((await latest(weaker.id)).error).toMatch(/no longer holds control\.console/);
    for (const id of [gone.id, weaker.id]) {
      expect(await reload(id)).toMatchObject({ enabled: false, nextRunAt: null, lastStatus: 'skipped' });
    }
    expect(await reload(legacy.id)).toMatchObject({ enabled: true, lastStatus: 'succeeded' });
  });
});
