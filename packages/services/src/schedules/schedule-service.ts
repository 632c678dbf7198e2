import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { scheduleRuns, schedules } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import { SCHEDULE_ACTIONS, type ScheduleAction } from '@minefleet/domain/enums';
import { DomainError } from '@minefleet/domain/errors';
import { isUuid } from '@minefleet/domain/names';
import { scopeOf, type Actor } from '../actor.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import { offsetOf, type Page, type PageRequest } from '../pagination.js';
import { assertCron, assertTimezone, nextRun } from './cron.js';
import { validatePayload } from './schedule-payload.js';

export type ScheduleRecord = typeof schedules.$inferSelect;
export type ScheduleRunRecord = typeof scheduleRuns.$inferSelect;

export interface ScheduleInput {
  name?: string | null | undefined;
  cron: string;
  action: string;
  payload?: Record<string, unknown> | undefined;
  enabled?: boolean | undefined;
  timezone?: string | undefined;
}

export type SchedulePatch = Partial<ScheduleInput>;

export interface ScheduleSettings {
  /** Shortest time between two runs of one schedule (`MINEFLEET_SCHEDULE_MIN_INTERVAL_SECONDS`). */
  minIntervalMs: number;
  /** Schedules per server. */
  maxPerServer: number;
}

/**
 * Per-server schedules (backup, restart, console command) as users manage them. The planned time of
 * the next run (`next_run_at`) is computed here on every change and advanced by the Scheduler, which
 * runs them; a disabled schedule has none.
 */
export class ScheduleService {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      lifecycle: LifecycleService;
      settings: ScheduleSettings;
    },
  ) {}

  async list(actor: Actor, serverId: string, page: PageRequest): Promise<Page<ScheduleRecord>> {
    await this.deps.lifecycle.authorize(actor, serverId, 'schedule.read');
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const items = await tx
        .select()
        .from(schedules)
        .where(eq(schedules.serverId, serverId))
        .orderBy(schedules.createdAt, schedules.id)
        .limit(page.perPage)
        .offset(offsetOf(page));
      const [count] = await tx
        .select({ n: sql<string>`count(*)` })
        .from(schedules)
        .where(eq(schedules.serverId, serverId));
      return { items, total: Number(count?.n ?? 0) };
    });
  }

  async get(actor: Actor, serverId: string, scheduleId: string): Promise<ScheduleRecord> {
    await this.deps.lifecycle.authorize(actor, serverId, 'schedule.read');
    return this.deps.db.tenant(scopeOf(actor), (tx) => this.find(tx, serverId, scheduleId));
  }

  async create(actor: Actor, serverId: string, input: ScheduleInput): Promise<ScheduleRecord> {
    const server = await this.deps.lifecycle.authorize(actor, serverId, 'schedule.create');
    const fields = this.validate(input);
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const [count] = await tx
        .select({ n: sql<string>`count(*)` })
        .from(schedules)
        .where(eq(schedules.serverId, serverId));
      const limit = this.deps.settings.maxPerServer;
      if (Number(count?.n ?? 0) >= limit) {
        throw new DomainError('QUOTA_EXCEEDED', `A server has at most ${limit} schedules.`, {
          quota: 'schedules',
          limit,
        });
      }
      const [row] = await tx
        .insert(schedules)
        .values({ tenantId: server.tenantId, serverId, ...fields, createdBy: actor.userId })
        .returning();
      return row!;
    });
  }

  async update(
    actor: Actor,
    serverId: string,
    scheduleId: string,
    patch: SchedulePatch,
  ): Promise<ScheduleRecord> {
    await this.deps.lifecycle.authorize(actor, serverId, 'schedule.update');
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const current = await this.find(tx, serverId, scheduleId);
      const fields = this.validate({
        name: patch.name !== undefined ? patch.name : current.name,
        cron: patch.cron ?? current.cron,
        action: patch.action ?? current.action,
        // A new action needs a payload of its own: the old one would not fit it.
        payload:
          patch.payload ??
          (patch.action !== undefined && patch.action !== current.action ? {} : current.payload),
        enabled: patch.enabled ?? current.enabled,
        timezone: patch.timezone ?? current.timezone,
      });
      const timing =
        fields.cron === current.cron &&
        fields.timezone === current.timezone &&
        fields.enabled === current.enabled &&
        current.nextRunAt !== null
          ? { nextRunAt: current.nextRunAt } // unchanged timing keeps its planned run
          : {};
      const [row] = await tx
        .update(schedules)
        // Whoever changes (or resumes) a schedule becomes the member it runs for.
        .set({ ...fields, ...timing, createdBy: actor.userId })
        .where(eq(schedules.id, current.id))
        .returning();
      return row!;
    });
  }

  async delete(actor: Actor, serverId: string, scheduleId: string): Promise<void> {
    await this.deps.lifecycle.authorize(actor, serverId, 'schedule.delete');
    await this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const current = await this.find(tx, serverId, scheduleId);
      await tx.delete(schedules).where(eq(schedules.id, current.id));
    });
  }

  async runs(
    actor: Actor,
    serverId: string,
    scheduleId: string,
    page: PageRequest,
  ): Promise<Page<ScheduleRunRecord>> {
    await this.deps.lifecycle.authorize(actor, serverId, 'schedule.read');
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      await this.find(tx, serverId, scheduleId);
      const items = await tx
        .select()
        .from(scheduleRuns)
        .where(eq(scheduleRuns.scheduleId, scheduleId))
        .orderBy(desc(scheduleRuns.scheduledFor))
        .limit(page.perPage)
        .offset(offsetOf(page));
      const [count] = await tx
        .select({ n: sql<string>`count(*)` })
        .from(scheduleRuns)
        .where(eq(scheduleRuns.scheduleId, scheduleId));
      return { items, total: Number(count?.n ?? 0) };
    });
  }

  private async find(tx: Tx, serverId: string, scheduleId: string): Promise<ScheduleRecord> {
    if (!isUuid(scheduleId))
      throw new DomainError('INVALID_ID', 'The schedule id is not a UUID.', { id: scheduleId });
    const [row] = await tx
      .select()
      .from(schedules)
      .where(and(eq(schedules.id, scheduleId), eq(schedules.serverId, serverId)));
    if (!row) throw new DomainError('SCHEDULE_NOT_FOUND', 'No such schedule.', { id: scheduleId });
    return row;
  }

  private validate(input: ScheduleInput) {
    if (!(SCHEDULE_ACTIONS as readonly string[]).includes(input.action)) {
      throw new DomainError('VALIDATION_FAILED', `action is one of ${SCHEDULE_ACTIONS.join(', ')}.`, {
        field: 'action',
      });
    }
    const action = input.action as ScheduleAction;
    const timezone = assertTimezone(input.timezone ?? 'UTC');
    const cron = assertCron(input.cron, timezone, this.deps.settings.minIntervalMs);
    const payload = validatePayload(action, input.payload ?? {});
    const name = input.name ?? null;
    // eslint-disable-next-line no-control-regex
    if (name !== null && (name.length > 100 || /[\u0000-\u001f\u007f]/.test(name))) {
      throw new DomainError('VALIDATION_FAILED', 'A schedule name is at most 100 characters, one line.', {
        field: 'name',
      });
    }
    const enabled = input.enabled ?? true;
    const now = this.deps.clock.now();
    const next = enabled ? nextRun(cron, timezone, now) : null;
    return {
      name,
      cron,
      action,
      payload,
      enabled,
      timezone,
      nextRunAt: next === null ? null : new Date(next),
      updatedAt: new Date(now),
    };
  }
}
