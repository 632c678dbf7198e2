import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalDriver } from './create-local-driver.js';
import { folderBytes, StorageUsage } from './disk-usage.js';

/**
 * How much a server's files take, measured by walking real folders: remembered for its TTL (no second
 * walk), measured again when fresh is asked or a change is announced, and forgotten with the server.
 */
describe('storage used by a server', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'minefleet-storage-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('a second question within the TTL does not walk; fresh, a change and the TTL measure again', async () => {
    const folder = path.join(root, 'a');
    await mkdir(path.join(folder, 'world'), { recursive: true });
    await writeFile(path.join(folder, 'world', 'level.dat'), Buffer.alloc(1000));
    let clock = 0;
    const walked: string[] = [];
    const usage = new StorageUsage((id) => path.join(root, id), {
      ttlMs: 60_000,
      now: () => clock,
      measure: (dir) => {
        walked.push(dir);
        return folderBytes(dir);
      },
    });

    expect(await usage.used('a')).toBe(1000);
    await writeFile(path.join(folder, 'world', 'region.mca'), Buffer.alloc(500));
    clock += 59_000;
    expect(await usage.used('a')).toBe(1000); // remembered: the new file is not seen yet
    expect(walked).toHaveLength(1);

    expect(await usage.used('a', true)).toBe(1500); // the storage watcher's fresh measurement
    expect(await usage.used('a')).toBe(1500); // ... is what the next question gets
    expect(walked).toHaveLength(2);

    await writeFile(path.join(folder, 'upload.zip'), Buffer.alloc(250));
    usage.forget('a'); // the platform announced its write
    expect(await usage.used('a')).toBe(1750);
    expect(walked).toHaveLength(3);

    clock += 60_000; // expired
    expect(await usage.used('a')).toBe(1750);
    expect(walked).toHaveLength(4);
  });

  it('concurrent questions share one walk, and a failed walk is not kept', async () => {
    let walks = 0;
    let fail = true;
    const usage = new StorageUsage((id) => path.join(root, id), {
      measure: async () => {
        walks++;
        if (fail) throw new Error('EIO');
        return 42;
      },
    });
    await expect(usage.used('a')).rejects.toThrow('EIO');
    expect(usage.size).toBe(0);
    fail = false;
    expect(await Promise.all([usage.used('a'), usage.used('a'), usage.used('a')])).toEqual([42, 42, 42]);
    expect(walks).toBe(2);
  });

  it('the local driver answers through the port: cached, re-measured on storageChanged, forgotten on remove', async () => {
    const driver = createLocalDriver({ dataDir: root, isolation: 'off', limits: 'off' });
    const id = randomUUID();
    const folder = driver.workspace(id).root;
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'a.bin'), Buffer.alloc(4096));
    expect(await driver.storageUsed(id)).toBe(4096);

    await writeFile(path.join(folder, 'b.bin'), Buffer.alloc(1024));
    expect(await driver.storageUsed(id)).toBe(4096);
    expect(await driver.storageUsed(id, { fresh: true })).toBe(5120);
    await rm(path.join(folder, 'b.bin'));
    driver.storageChanged(id);
    expect(await driver.storageUsed(id)).toBe(4096);

    await driver.remove(id);
    // A folder of that id made again is measured anew, not answered with the deleted server's bytes.
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'c.bin'), Buffer.alloc(10));
    expect(await driver.storageUsed(id)).toBe(10);
    await driver.remove(id);
    expect(await driver.storageUsed(id)).toBe(0);
    await driver.close();
  });
});
