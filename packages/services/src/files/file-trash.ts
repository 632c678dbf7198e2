import { randomUUID } from 'node:crypto';
import type { ServerFiles } from '@minefleet/domain/ports/server-files';
import { DomainError } from '@minefleet/domain/errors';
import { PLATFORM_STATE_DIR } from '@minefleet/domain/file-paths';

/** How long a deleted file or folder stays restorable. */
export const TRASH_RETENTION_MS = 7 * 24 * 3600 * 1000;

const TRASH_DIR = `${PLATFORM_STATE_DIR}/files/trash`;
const ITEM_ID = /^[0-9a-f-]{36}$/;

export interface TrashItem {
  id: string;
  /** Where it was. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  deletedAt: string;
  expiresAt: string;
  userId: string;
}

/**
 * A per-server trash in the server's state folder: a delete moves the entry there (a rename: instant,
 * whatever its size); it can be restored for TRASH_RETENTION_MS, then it is removed for good.
 */
export class FileTrash {
  constructor(
    private readonly files: ServerFiles,
    private readonly now: () => number,
  ) {}

  async put(serverId: string, rel: string, userId: string): Promise<TrashItem> {
    const stat = await this.files.stat(serverId, rel);
    if (!stat) throw new DomainError('FILE_NOT_FOUND', `Nothing at "${rel}".`, { path: rel });
    const id = randomUUID();
    const at = this.now();
    const item: TrashItem = {
      id,
      path: rel,
      type: stat.type,
      size: stat.size,
      deletedAt: new Date(at).toISOString(),
      expiresAt: new Date(at + TRASH_RETENTION_MS).toISOString(),
      userId,
    };
    await this.files.write(serverId, `${TRASH_DIR}/${id}/item.json`, Buffer.from(JSON.stringify(item)));
    try {
      await this.files.rename(serverId, rel, `${TRASH_DIR}/${id}/entry`);
    } catch (error) {
      await this.files.remove(serverId, `${TRASH_DIR}/${id}`).catch(() => {});
      throw error;
    }
    return item;
  }

  /** The items still restorable, newest first; expired ones are removed on the way. */
  async list(serverId: string): Promise<TrashItem[]> {
    const { items } = await this.scan(serverId);
    return items.sort((a, b) => b.deletedAt.localeCompare(a.deletedAt));
  }

  /**
   * Removes for good the items past their retention (and any without a readable record); the periodic
   * housekeeping calls it, so the trash shrinks even when nobody looks at it. Returns the removed ids.
   */
  async removeExpired(serverId: string): Promise<string[]> {
    return (await this.scan(serverId)).removed;
  }

  private async scan(serverId: string): Promise<{ items: TrashItem[]; removed: string[] }> {
    let entries;
    try {
      entries = await this.files.list(serverId, TRASH_DIR);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'FILE_NOT_FOUND') return { items: [], removed: [] };
      throw error;
    }
    const items: TrashItem[] = [];
    const removed: string[] = [];
    for (const entry of entries) {
      if (!ITEM_ID.test(entry.name)) continue;
      const item = await this.item(serverId, entry.name).catch(() => null);
      if (!item || Date.parse(item.expiresAt) <= this.now()) {
        await this.files.remove(serverId, `${TRASH_DIR}/${entry.name}`).catch(() => {});
        removed.push(entry.name);
        continue;
      }
      items.push(item);
    }
    return { items, removed };
  }

  private async item(serverId: string, id: string): Promise<TrashItem> {
    if (!ITEM_ID.test(id)) throw new DomainError('TRASH_ITEM_NOT_FOUND', 'No such trash item.', { id });
    try {
      const raw = await this.files.read(serverId, `${TRASH_DIR}/${id}/item.json`, 64 * 1024);
      return JSON.parse(Buffer.from(raw).toString('utf8')) as TrashItem;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'FILE_NOT_FOUND')
        throw new DomainError('TRASH_ITEM_NOT_FOUND', 'No such trash item.', { id });
      throw error;
    }
  }

  /** Puts the item back where it was (or at `to`); FILE_EXISTS if something is there now. */
  async restore(serverId: string, id: string, to?: string): Promise<TrashItem> {
    const item = await this.item(serverId, id);
    if (Date.parse(item.expiresAt) <= this.now())
      throw new DomainError('TRASH_ITEM_NOT_FOUND', 'The item has expired.', { id });
    const target = to ?? item.path;
    await this.files.rename(serverId, `${TRASH_DIR}/${id}/entry`, target);
    await this.files.remove(serverId, `${TRASH_DIR}/${id}`);
    return { ...item, path: target };
  }

  /** Removes the item for good. */
  async purge(serverId: string, id: string): Promise<void> {
    await this.item(serverId, id);
    await this.files.remove(serverId, `${TRASH_DIR}/${id}`);
  }
}
