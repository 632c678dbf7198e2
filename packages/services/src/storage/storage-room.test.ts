import { describe, expect, it } from 'vitest';
import { DomainError } from '@minefleet/domain/errors';
import { MB, assertStorageRoom, type StorageMeter } from './storage-room.js';

const meter = (measure: () => Promise<number>): StorageMeter => ({ storageUsed: measure });
const server = { id: 'srv', storageMb: 10 };

describe('assertStorageRoom', () => {
  it('refuses a server whose files fill its storage, measured afresh before refusing', async () => {
    const readings = [12 * MB, 11 * MB];
    await expect(
      assertStorageRoom(
        meter(async () => readings.shift()!),
        server,
      ),
    ).rejects.toMatchObject({
      code: 'STORAGE_LIMIT_REACHED',
      details: { usedBytes: 11 * MB, limitBytes: 10 * MB },
    });
    // Files deleted since the last reading: the fresh measurement lets it start.
    const freed = [12 * MB, 1 * MB];
    await expect(
      assertStorageRoom(
        meter(async () => freed.shift()!),
        server,
      ),
    ).resolves.toBeUndefined();
  });

  it('lets a runtime that cannot measure files start the server (its volume bounds them); other errors pass', async () => {
    const unsupported = new DomainError('RUNTIME_UNSUPPORTED', 'no files here', { feature: 'files' });
    await expect(
      assertStorageRoom(
        meter(() => Promise.reject(unsupported)),
        server,
      ),
    ).resolves.toBeUndefined();
    const broken = new Error('disk gone');
    await expect(
      assertStorageRoom(
        meter(() => Promise.reject(broken)),
        server,
      ),
    ).rejects.toBe(broken);
  });
});
