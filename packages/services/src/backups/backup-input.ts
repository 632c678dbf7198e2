import type { backups } from '@minefleet/db/schema';
import { BACKUP_COMPRESSIONS, type BackupCompression } from '@minefleet/domain/enums';
import { DomainError } from '@minefleet/domain/errors';

export type BackupRecord = typeof backups.$inferSelect;

/** What a caller may set on a new backup (all optional: the service fills in the rest). */
export interface BackupInput {
  name?: string | undefined;
  compression?: string | undefined;
  tags?: string[] | undefined;
  description?: string | undefined;
  retainDays?: number | undefined;
}

/** What may change on an existing backup. `retainDays: null` removes the expiry. */
export interface BackupPatch {
  locked?: boolean | undefined;
  tags?: string[] | undefined;
  description?: string | null | undefined;
  retainDays?: number | null | undefined;
}

export const BACKUP_NAME_MAX = 100;
export const BACKUP_TAGS_MAX = 10;
export const BACKUP_TAG_PATTERN = /^[A-Za-z0-9._:-]{1,32}$/;
export const BACKUP_DESCRIPTION_MAX = 500;
export const RETAIN_DAYS_MAX = 3650;
const DAY_MS = 86_400_000;

/**
 * Names are shown in lists and used in download file names: one line of printable characters, no
 * path separators (a name never becomes a path, but a downloaded file name should not surprise).
 */
export function assertBackupName(name: string): string {
  const trimmed = name.trim();
  // eslint-disable-next-line no-control-regex
  if (trimmed.length === 0 || trimmed.length > BACKUP_NAME_MAX || /[\u0000-\u001f\u007f/\\]/.test(trimmed)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `A backup name is 1–${BACKUP_NAME_MAX} characters, one line, without / or \\.`,
      { field: 'name' },
    );
  }
  return trimmed;
}

export function assertCompression(value: string): BackupCompression {
  if (!(BACKUP_COMPRESSIONS as readonly string[]).includes(value)) {
    throw new DomainError('VALIDATION_FAILED', `Compression is one of ${BACKUP_COMPRESSIONS.join(', ')}.`, {
      field: 'compression',
    });
  }
  return value as BackupCompression;
}

export function assertTags(tags: readonly string[]): string[] {
  const unique = [...new Set(tags)];
  if (unique.length > BACKUP_TAGS_MAX || unique.some((t) => !BACKUP_TAG_PATTERN.test(t))) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `At most ${BACKUP_TAGS_MAX} tags of 1–32 characters from A-Z a-z 0-9 . _ : -.`,
      { field: 'tags' },
    );
  }
  return unique;
}

export function assertDescription(description: string): string {
  // eslint-disable-next-line no-control-regex
  if (description.length > BACKUP_DESCRIPTION_MAX || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(description)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `A description is at most ${BACKUP_DESCRIPTION_MAX} characters of text.`,
      { field: 'description' },
    );
  }
  return description;
}

/** `retain_days` → the moment the backup expires (retention removes it then, unless locked). */
export function expiryOf(retainDays: number, now: number): Date {
  if (!Number.isInteger(retainDays) || retainDays < 1 || retainDays > RETAIN_DAYS_MAX) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `retain_days is a whole number from 1 to ${RETAIN_DAYS_MAX}.`,
      {
        field: 'retain_days',
      },
    );
  }
  return new Date(now + retainDays * DAY_MS);
}

/** `manual-20250102-030405`: sortable, unique per second, readable in a list. */
export function defaultBackupName(prefix: string, now: number): string {
  const iso = new Date(now).toISOString();
  return `${prefix}-${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
}

/** Backups whose job is not over: never deleted, never restored from. */
export const IN_PROGRESS_STATUSES = ['pending', 'running', 'restoring'] as const;
