import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The local backup store of the chaos run on a small tmpfs of its own (we are root here), so the
 * disk can really be filled (ENOSPC from the kernel) and really fail (remounted read-only: EROFS).
 * Without the right to mount, `BackupDisk.create` throws: the suite needs a real disk to fill.
 */
export class BackupDisk {
  private filler: string;
  private constructor(
    readonly mountPoint: string,
    readonly sizeMb: number,
  ) {
    this.filler = path.join(mountPoint, '.chaos-filler');
  }

  /** The folder the control planes store archives in (MINEFLEET_BACKUP_DIR). */
  get storeDir(): string {
    return path.join(this.mountPoint, 'store');
  }

  static async create(sizeMb: number): Promise<BackupDisk> {
    const mountPoint = await mkdtemp(path.join(os.tmpdir(), 'minefleet-chaos-disk-'));
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', mountPoint]);
    const disk = new BackupDisk(mountPoint, sizeMb);
    await mkdir(disk.storeDir, { recursive: true });
    return disk;
  }

  /** Writes a filler file until the disk is full (the kernel's ENOSPC ends it). */
  async fill(): Promise<void> {
    const handle = await open(this.filler, 'a');
    const chunk = Buffer.alloc(1024 * 1024, 0x5a);
    try {
      for (;;) await handle.write(chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      await handle.close();
    }
  }

  async unfill(): Promise<void> {
    await rm(this.filler, { force: true });
  }

  /**
   * Read-only (every write fails with EROFS) or back to read-write. The kernel refuses a read-only
   * remount while a file is open for writing (EBUSY): retried for a while.
   */
  async setReadOnly(readOnly: boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await run('mount', ['-o', `remount,${readOnly ? 'ro' : 'rw'}`, this.mountPoint]);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async destroy(): Promise<void> {
    await run('umount', ['-l', this.mountPoint]).catch(() => undefined);
    await rmdir(this.mountPoint).catch(() => undefined);
  }
}
