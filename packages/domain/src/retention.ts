import type { BackupStatus, BackupType } from './enums.js';

/**
 * Which backups of one server to delete, and why: a pure function of the backups, the server's policy
 * and the time, so the scheduler, the API ("why is this kept?") and tests agree on one answer.
 *
 * Rules, in order (the first that applies decides):
 * 0. A backup already `deleting` is deleted (reason `deleting`): its deletion was decided and begun, and
 *    a store failure or a crash left it unfinished. It cannot be locked meanwhile (changes are refused).
 * 1. `locked` backups are kept, always.
 * 2. Backups in progress (`pending`, `running`, `restoring`) are kept: deleting under a running job
 *    would break it. A job left running by a dead control plane is failed at boot, then rule 4 applies.
 * 3. A backup with `expiresAt` (from `retain_days`) lives exactly until then: deleted once
 *    `expiresAt <= now`, kept before, whatever the policy. It is outside the policy's tiers (it is not
 *    counted in keep-last/daily/weekly), since its owner already said how long it should live.
 * 4. `failed` backups hold no usable archive. They are kept for `failedGraceDays` (default 7) so the
 *    error stays visible, then deleted; they never count towards a tier.
 * 5. Everything else (`completed`, no expiry) goes through the policy, as restic/borg "forget" does:
 *    keep the `keepLast` newest; for the `keepDaily` most recent UTC days that have backups, the newest
 *    of each day; for the `keepWeekly` most recent ISO weeks (UTC) that have backups, the newest of
 *    each week. A backup kept by any tier is kept; the rest are deleted. Types (manual, scheduled,
 *    pre_restore, pre_delete) are treated alike: lock one to keep it for good.
 *    Without a policy (null, or every tier null/0) nothing is deleted by this rule, and a policy never
 *    deletes the newest completed backup, so a server with backups always keeps one to restore.
 */
export interface RetentionBackup {
  id: string;
  createdAt: Date;
  status: BackupStatus;
  type: BackupType;
  locked: boolean;
  expiresAt: Date | null;
}

export interface RetentionPolicy {
  keepLast: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
}

export interface RetentionOptions {
  /** Days a failed backup stays listed before it is deleted. */
  failedGraceDays?: number;
}

export type DeleteReason = 'deleting' | 'expired' | 'failed' | 'policy';
export type KeepReason =
  | 'locked'
  | 'in-progress'
  | 'not-expired'
  | 'failed-recent'
  | 'no-policy'
  | 'newest'
  | 'keep-last'
  | 'daily'
  | 'weekly';

export interface RetentionPlan {
  /** Oldest first. */
  delete: { id: string; reason: DeleteReason }[];
  /** Every backup not deleted, with every reason that keeps it. */
  keep: { id: string; reasons: KeepReason[] }[];
}

const DAY_MS = 86_400_000;
const IN_PROGRESS: ReadonlySet<BackupStatus> = new Set(['pending', 'running', 'restoring']);

export function planRetention(
  backups: readonly RetentionBackup[],
  policy: RetentionPolicy | null,
  now: Date,
  options: RetentionOptions = {},
): RetentionPlan {
  const failedGraceMs = (options.failedGraceDays ?? 7) * DAY_MS;
  const plan: RetentionPlan = { delete: [], keep: [] };
  const tiered: RetentionBackup[] = [];

  for (const backup of byAge(backups)) {
    if (backup.status === 'deleting') plan.delete.push({ id: backup.id, reason: 'deleting' });
    else if (backup.locked) plan.keep.push({ id: backup.id, reasons: ['locked'] });
    else if (IN_PROGRESS.has(backup.status)) plan.keep.push({ id: backup.id, reasons: ['in-progress'] });
    else if (backup.expiresAt !== null) {
      if (backup.expiresAt.getTime() <= now.getTime()) plan.delete.push({ id: backup.id, reason: 'expired' });
      else plan.keep.push({ id: backup.id, reasons: ['not-expired'] });
    } else if (backup.status === 'failed') {
      if (now.getTime() - backup.createdAt.getTime() >= failedGraceMs) {
        plan.delete.push({ id: backup.id, reason: 'failed' });
      } else plan.keep.push({ id: backup.id, reasons: ['failed-recent'] });
    } else tiered.push(backup);
  }

  const keepLast = tier(policy?.keepLast);
  const keepDaily = tier(policy?.keepDaily);
  const keepWeekly = tier(policy?.keepWeekly);
  if (keepLast + keepDaily + keepWeekly === 0) {
    for (const backup of tiered) plan.keep.push({ id: backup.id, reasons: ['no-policy'] });
    return finish(plan, backups);
  }

  const reasons = new Map<string, KeepReason[]>(tiered.map((b) => [b.id, []]));
  const newestFirst = [...tiered].reverse();
  if (newestFirst[0] !== undefined) reasons.get(newestFirst[0].id)!.push('newest');
  newestFirst.slice(0, keepLast).forEach((b) => reasons.get(b.id)!.push('keep-last'));
  newestPerBucket(newestFirst, utcDay, keepDaily).forEach((b) => reasons.get(b.id)!.push('daily'));
  newestPerBucket(newestFirst, isoWeek, keepWeekly).forEach((b) => reasons.get(b.id)!.push('weekly'));

  for (const backup of tiered) {
    const why = reasons.get(backup.id)!;
    if (why.length > 0) plan.keep.push({ id: backup.id, reasons: why });
    else plan.delete.push({ id: backup.id, reason: 'policy' });
  }
  return finish(plan, backups);
}

function tier(value: number | null | undefined): number {
  return value === null || value === undefined || !Number.isFinite(value)
    ? 0
    : Math.max(0, Math.floor(value));
}

/** Oldest first; ties broken by id so the plan does not depend on the input order. */
function byAge(backups: readonly RetentionBackup[]): RetentionBackup[] {
  return [...backups].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** The newest backup of each of the `count` most recent buckets that hold a backup. */
function newestPerBucket(
  newestFirst: readonly RetentionBackup[],
  bucketOf: (date: Date) => string,
  count: number,
): RetentionBackup[] {
  const picked: RetentionBackup[] = [];
  const seen = new Set<string>();
  for (const backup of newestFirst) {
    if (seen.size === count) break;
    const bucket = bucketOf(backup.createdAt);
    if (seen.has(bucket)) continue;
    seen.add(bucket);
    picked.push(backup);
  }
  return picked;
}

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** ISO-8601 week of the UTC date, as `YYYY-Www` (weeks start on Monday; week 1 holds January 4th). */
export function isoWeek(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() === 0 ? 7 : day.getUTCDay();
  day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function finish(plan: RetentionPlan, backups: readonly RetentionBackup[]): RetentionPlan {
  // `keep` in the input order (callers list backups as they show them); `delete` oldest first.
  const order = new Map(backups.map((b, i) => [b.id, i]));
  const age = new Map(byAge(backups).map((b, i) => [b.id, i]));
  plan.keep.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  plan.delete.sort((a, b) => age.get(a.id)! - age.get(b.id)!);
  return plan;
}
