import { and, eq } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { customRoles, memberships } from '@minefleet/db/schema';
import type { ScheduleAction } from '@minefleet/domain/enums';
import { memberPermissions, type Permission } from '@minefleet/domain/permissions';
import type { ScheduleRecord } from './schedule-service.js';

/** The permission a user needs to do by hand what a schedule's action does. */
export const ACTION_PERMISSION: Readonly<Record<ScheduleAction, Permission>> = {
  backup: 'backup.create',
  restart: 'control.restart',
  command: 'control.console',
};

/**
 * Why a schedule may no longer run on its creator's behalf, or null when it may: the creator must still
 * be a member of the schedule's tenant holding the permission its action needs (a removed or demoted
 * member's schedules stop with them). A schedule without a recorded creator (created before creators
 * were recorded) is not checked.
 */
export async function creatorRefusal(db: Database, schedule: ScheduleRecord): Promise<string | null> {
  if (schedule.createdBy === null) return null;
  const [member] = await db.system((tx) =>
    tx
      .select({ role: memberships.role, customPermissions: customRoles.permissions })
      .from(memberships)
      .leftJoin(customRoles, eq(customRoles.id, memberships.customRoleId))
      .where(and(eq(memberships.tenantId, schedule.tenantId), eq(memberships.userId, schedule.createdBy!))),
  );
  if (!member) return 'Paused: the schedule’s creator is no longer a member of the tenant.';
  const needed = ACTION_PERMISSION[schedule.action];
  if (!memberPermissions(member.role, member.customPermissions).has(needed)) {
    return `Paused: the schedule’s creator no longer holds ${needed}.`;
  }
  return null;
}
