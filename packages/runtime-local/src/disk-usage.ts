import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Bytes of the regular files below a folder (apparent size; symlinks are not followed). */
export async function folderBytes(root: string): Promise<number> {
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile()) {
        try {
          total += (await lstat(full)).size;
        } catch {
          // removed meanwhile
        }
      }
    }
  }
  return total;
}

/**
 * How long a measurement of a server's folder is reused. A running server's folder is measured again by
 * the storage watcher's rounds (every minute by default), so within this time only changes nobody
 * announced are missed: another replica's writes, or an administrator's on the host.
 */
export const STORAGE_TTL_MS = 10 * 60_000;

export interface StorageUsageOptions {
  ttlMs?: number;
  now?: () => number;
  /** Measures a folder (default folderBytes). */
  measure?: (root: string) => Promise<number>;
}

/**
 * The bytes each server's folder takes, measured by walking it and remembered for a while: a world holds
 * thousands of files, and starts, wakes, uploads and the metrics all ask, while only the game and the
 * platform's own writes change it. Writes the platform makes are announced (`changed`), so the next
 * question measures again; the game's are picked up by the storage watcher's fresh measurements.
 */
export class StorageUsage {
  private readonly entries = new Map<string, { at: number; bytes: Promise<number> }>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly measure: (root: string) => Promise<number>;

  constructor(
    private readonly rootOf: (serverId: string) => string,
    options: StorageUsageOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? STORAGE_TTL_MS;
    this.now = options.now ?? Date.now;
    this.measure = options.measure ?? folderBytes;
  }

  /** The folder's bytes: a measurement younger than the TTL, or a new one (always new when `fresh`). */
  used(serverId: string, fresh = false): Promise<number> {
    const cached = this.entries.get(serverId);
    if (!fresh && cached && this.now() - cached.at < this.ttlMs) return cached.bytes;
    const entry = { at: this.now(), bytes: this.measure(this.rootOf(serverId)) };
    this.entries.set(serverId, entry);
    entry.bytes.catch(() => {
      if (this.entries.get(serverId) === entry) this.entries.delete(serverId);
    });
    return entry.bytes;
  }

  /** The folder changed (or is gone): the next question measures it again. */
  forget(serverId: string): void {
    this.entries.delete(serverId);
  }

  /** How many servers have a measurement kept. */
  get size(): number {
    return this.entries.size;
  }
}
