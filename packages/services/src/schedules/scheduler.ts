import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { scheduleRuns, schedules } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import type { Logger } from '../logger.js';
import { nextRun } from './cron.js';
import { creatorRefusal } from './schedule-creator.js';
import type { ScheduleRecord, ScheduleRunRecord } from './schedule-service.js';
import { BackgroundWork } from '../background-work.js';

/** How a run ended; `skipped` when there was nothing to do (server not running, run missed). */
export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'skipped';
  error?: string | null;
}

/** Carries out a schedule's action (ScheduleActions in production; a recorder in the scheduler's tests). */
export type ScheduleExecutor = (schedule: ScheduleRecord) => Promise<RunOutcome>;

export interface SchedulerOptions {
  db: Database;
  clock: Clock;
  logger: Logger;
  execute: ScheduleExecutor;
  /** Whether this replica runs the server's background work (its schedules included). */
  owns: (serverId: string) => boolean;
  /** A run missed by more than this (control plane down) is recorded `skipped`, not run late. */
  graceMs: number;
  /** How often due schedules are looked for. */
  tickMs: number;
  /** Due schedules taken per tick (bounded work per tick; the rest wait for the next). */
  batch?: number;
}

/**
 * Runs due schedules, at most once per planned time, across restarts and replicas.
 *
 * Each tick reads the enabled schedules whose `next_run_at` has come (by the injected clock) and, for
 * each one this replica owns, claims the run in one transaction: INSERT into `schedule_runs` keyed
 * by (schedule_id, scheduled_for) — ON CONFLICT DO NOTHING, so of two schedulers (two replicas, or a
 * control plane restarted within the minute) exactly one gets the row — and advances `next_run_at` to
 * the first planned time after now. Only the claimer runs the action. A run that was claimed by a
 * control plane that then died is recorded `failed` (interrupted) at the next boot, never run twice.
 *
 * Catch-up: a planned time missed while no control plane ran is run once, late, if it is at most
 * `graceMs` old; otherwise it is recorded as `skipped`. Either way the schedule then continues from
 * the next planned time after now (several missed times make one run, never a burst).
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly runs: BackgroundWork;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    this.runs = new BackgroundWork(options.logger);
  }

  /** Fails runs a dead control plane had claimed (their action may or may not have happened). */
  async recover(): Promise<number> {
    const { db, clock } = this.options;
    const stale = await db.system((tx) =>
      tx
        .select({ run: scheduleRuns, serverId: schedules.serverId })
        .from(scheduleRuns)
        .innerJoin(schedules, eq(schedules.id, scheduleRuns.scheduleId))
        .where(eq(scheduleRuns.status, 'running')),
    );
    const mine = stale.filter((s) => this.options.owns(s.serverId)).map((s) => s.run.id);
    if (mine.length === 0) return 0;
    await db.system((tx) =>
      tx
        .update(scheduleRuns)
        .set({
          status: 'failed',
          finishedAt: new Date(clock.now()),
          error: 'Interrupted: the control plane stopped during the run.',
        })
        .where(and(inArray(scheduleRuns.id, mine), eq(scheduleRuns.status, 'running'))),
    );
    return mine.length;
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'scheduler tick failed'))
        .finally(() => {
          this.ticking = undefined;
          if (!this.stopped) this.timer = setTimeout(loop, this.options.tickMs).unref();
        });
    };
    this.timer = setTimeout(loop, 0).unref();
  }

  /** One look for due schedules (tests call it directly with their own clock). */
  async tick(): Promise<void> {
    const { db, clock } = this.options;
    const now = clock.now();
    const due = await db.system((tx) =>
      tx
        .select()
        .from(schedules)
        .where(and(eq(schedules.enabled, true), lte(schedules.nextRunAt, new Date(now))))
        .orderBy(asc(schedules.nextRunAt))
        .limit(this.options.batch ?? 100),
    );
    for (const schedule of due) {
      if (this.stopped) return;
      if (!this.options.owns(schedule.serverId)) continue;
      try {
        await this.fire(schedule, now);
      } catch (error) {
        this.options.logger.error({ err: error, scheduleId: schedule.id }, 'schedule could not be claimed');
      }
    }
  }

  private async fire(schedule: ScheduleRecord, now: number): Promise<void> {
    const plannedFor = schedule.nextRunAt!;
    const missed = now - plannedFor.getTime() > this.options.graceMs;
    const next = nextRun(schedule.cron, schedule.timezone, now);
    const claimed = await this.options.db.system(async (tx) => {
      const [run] = await tx
        .insert(scheduleRuns)
        .values({
          tenantId: schedule.tenantId,
          scheduleId: schedule.id,
          scheduledFor: plannedFor,
          startedAt: new Date(now),
          status: missed ? 'skipped' : 'running',
          finishedAt: missed ? new Date(now) : null,
          error: missed
            ? `Missed by ${Math.round((now - plannedFor.getTime()) / 1000)} s (no control plane was running); not run late.`
            : null,
        })
        .onConflictDoNothing({ target: [scheduleRuns.scheduleId, scheduleRuns.scheduledFor] })
        .returning();
      if (!run) return null;
      await tx
        .update(schedules)
        .set({
          nextRunAt: next === null ? null : new Date(next),
          ...(missed ? { lastStatus: 'skipped' } : { lastRunAt: new Date(now), lastStatus: 'running' }),
        })
        .where(and(eq(schedules.id, schedule.id), eq(schedules.nextRunAt, plannedFor)));
      return run;
    });
    if (!claimed || missed) return;
    this.options.logger.info({ scheduleId: schedule.id, action: schedule.action }, 'schedule fired');
    void this.runs.track(this.execute(schedule, claimed));
  }

  /**
   * Runs the action in the background (a long backup must not hold up the other schedules), unless the
   * schedule's creator may no longer do it by hand: then the run is `skipped` with the reason and the
   * schedule is paused (a member who may resume it takes it over).
   */
  private async execute(schedule: ScheduleRecord, run: ScheduleRunRecord): Promise<void> {
    const { db, clock } = this.options;
    let outcome: RunOutcome;
    let pause = false;
    try {
      const refusal = await creatorRefusal(db, schedule);
      pause = refusal !== null;
      outcome =
        refusal !== null ? { status: 'skipped', error: refusal } : await this.options.execute(schedule);
    } catch (error) {
      outcome = { status: 'failed', error: error instanceof Error ? error.message : String(error) };
    }
    await db
      .system(async (tx) => {
        await tx
          .update(scheduleRuns)
          .set({ status: outcome.status, finishedAt: new Date(clock.now()), error: outcome.error ?? null })
          .where(eq(scheduleRuns.id, run.id));
        await tx
          .update(schedules)
          .set({ lastStatus: outcome.status, ...(pause ? { enabled: false, nextRunAt: null } : {}) })
          .where(eq(schedules.id, schedule.id));
      })
      .catch((error: unknown) =>
        this.options.logger.error({ err: error, runId: run.id }, 'run outcome not recorded'),
      );
  }

  /** Stops looking for due schedules and waits for runs in progress. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.runs.drain();
  }
}
