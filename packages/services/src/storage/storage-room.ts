import { DomainError } from '@minefleet/domain/errors';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';

export const MB = 1024 * 1024;

/** Where the bytes a server's files take come from: the runtime driver (docs/architecture.md). */
export type StorageMeter = Pick<RuntimeDriver, 'storageUsed'>;

/** The reason shown with a server's status once its folder reached its plan's storage. */
export function storageFullReason(usedBytes: number, storageMb: number): string {
  return `storage limit reached (${Math.ceil(usedBytes / MB)} MB of ${storageMb} MB)`;
}

export function storageWarningReason(usedBytes: number, storageMb: number): string {
  return `storage almost full (${Math.ceil(usedBytes / MB)} MB of ${storageMb} MB)`;
}

/**
 * The bytes a server's files take, for a check that may refuse something: the driver's recent
 * measurement when it allows, a fresh one before refusing (files deleted meanwhile by hand, or through
 * another replica, must not keep a server refused).
 */
export async function storageUsedFor(
  meter: StorageMeter,
  serverId: string,
  refuses: (usedBytes: number) => boolean,
): Promise<number> {
  const recent = await meter.storageUsed(serverId);
  if (!refuses(recent)) return recent;
  return meter.storageUsed(serverId, { fresh: true });
}

/** Throws STORAGE_LIMIT_REACHED when the server's folder holds its plan's storage or more. */
export async function assertStorageRoom(
  meter: StorageMeter,
  server: { id: string; storageMb: number },
): Promise<void> {
  const limit = server.storageMb * MB;
  let used: number;
  try {
    used = await storageUsedFor(meter, server.id, (bytes) => bytes >= limit);
  } catch (error) {
    // A runtime that cannot measure the files (Kubernetes without the in-pod agent) bounds them by the
    // size of the server's volume instead: nothing to refuse here.
    if (error instanceof DomainError && error.code === 'RUNTIME_UNSUPPORTED') return;
    throw error;
  }
  if (used >= limit) {
    throw new DomainError(
      'STORAGE_LIMIT_REACHED',
      `The server's files take its whole storage: ${storageFullReason(used, server.storageMb)}. Delete files (the files API works while it is stopped) before starting it.`,
      { serverId: server.id, usedBytes: used, limitBytes: limit },
    );
  }
}
