import type { Permission } from '@minefleet/domain/permissions';

/**
 * The permission a change to a backup needs. Editing tags, descriptions and expiries, and locking a
 * backup, is backup.update; a change that lets retention remove it — unlocking it, or an expiry that is
 * already due — is a deletion in effect and needs backup.delete, like DELETE does.
 */
export function patchPermission(
  current: { locked: boolean },
  patch: { locked?: boolean | undefined; retainDays?: number | null | undefined },
): Permission {
  if (current.locked && patch.locked === false) return 'backup.delete';
  if (typeof patch.retainDays === 'number' && patch.retainDays <= 0) return 'backup.delete';
  return 'backup.update';
}
