import type { Actor } from '../actor.js';
import type { BackupService } from '../backups/backup-service.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import type { BackupPayload, CommandPayload, RestartPayload } from './schedule-payload.js';
import type { ScheduleRecord } from './schedule-service.js';
import type { RunOutcome } from './scheduler.js';

/** No user acts for a schedule; this id is the platform's (it matches no user row). */
const SCHEDULER_USER_ID = '00000000-0000-0000-0000-000000000000';

/**
 * What a schedule does when it fires, through the same services a user's request goes through (so the
 * same locks, states and checks apply), acting as an operator of the schedule's tenant.
 * - backup: a `scheduled` backup (quota applies); the run succeeds when the backup completes.
 * - restart: only a running server is restarted (a stopped one stays stopped: `skipped`).
 * - command: sent to a running server; `skipped` when it is not running.
 */
export class ScheduleActions {
  constructor(private readonly deps: { lifecycle: LifecycleService; backups: BackupService }) {}

  async run(schedule: ScheduleRecord): Promise<RunOutcome> {
    const { lifecycle, backups } = this.deps;
    const server = await lifecycle.load(schedule.serverId);
    if (!server) return { status: 'skipped', error: 'The server no longer exists.' };
    const actor: Actor = { userId: SCHEDULER_USER_ID, tenantId: schedule.tenantId, role: 'operator' };
    switch (schedule.action) {
      case 'backup': {
        const p = schedule.payload as BackupPayload;
        const backup = await backups.createAndWait(
          server,
          {
            compression: p.compression,
            tags: p.tags ?? ['scheduled'],
            description: p.description,
            retainDays: p.retain_days,
          },
          'scheduled',
        );
        return backup.status === 'completed'
          ? { status: 'succeeded' }
          : { status: 'failed', error: `Backup ${backup.name} failed: ${backup.error ?? 'unknown error'}` };
      }
      case 'restart': {
        if (server.status !== 'running')
          return { status: 'skipped', error: `The server is ${server.status}.` };
        const p = schedule.payload as RestartPayload;
        await lifecycle.restart(actor, server.id, {
          announce: p.announce ?? 'Scheduled restart.',
          gracefulTimeoutSeconds: p.graceful_timeout_seconds,
        });
        return { status: 'succeeded' };
      }
      case 'command': {
        if (server.status !== 'running')
          return { status: 'skipped', error: `The server is ${server.status}.` };
        await lifecycle.sendCommand(
          actor,
          server.id,
          (schedule.payload as unknown as CommandPayload).command,
        );
        return { status: 'succeeded' };
      }
    }
  }
}
