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
 * Caches each folder's size for a while: a world holds thousands of files and a metrics collector
 * asks every few seconds, while a world's size changes slowly.
 */
export class DiskUsageCache {
  private readonly entries = new Map<string, { at: number; bytes: Promise<number> }>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  bytes(root: string): Promise<number> {
    const cached = this.entries.get(root);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.bytes;
    const bytes = folderBytes(root);
    this.entries.set(root, { at: this.now(), bytes });
    bytes.catch(() => this.entries.delete(root));
    return bytes;
  }

  forget(root: string): void {
    this.entries.delete(root);
  }
}
