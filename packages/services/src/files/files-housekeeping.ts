import type { ServerFiles } from '@minefleet/domain/ports/server-files';
import { DomainError } from '@minefleet/domain/errors';
import { PLATFORM_STATE_DIR } from '@minefleet/domain/file-paths';
import { FileTrash } from './file-trash.js';
import { FileUploads } from './file-uploads.js';

/** Where a save writes before its rename, and where an extraction stages its entries. */
const WORK_DIRS = [`${PLATFORM_STATE_DIR}/files/tmp`, `${PLATFORM_STATE_DIR}/files/extract`];
const UPLOADS_DIR = `${PLATFORM_STATE_DIR}/files/uploads`;

/** A work file untouched this long belongs to nobody: a write in progress keeps its mtime fresh. */
export const LEFTOVER_MIN_AGE_MS = 10 * 60_000;

export interface HousekeepingLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * The files API's own upkeep in every server's `.minefleet/files`:
 *
 * - **Trash**: items past their 7 days are removed for good on a timer (`purgeExpiredTrash`), not only
 *   when someone lists the trash, so deleted worlds stop taking space.
 * - **Leftovers** (`sweepLeftovers`, at start): a save or an extraction killed mid-way leaves its
 *   temporary file or staging folder; an upload's partial file can lose its record; expired uploads
 *   keep their bytes. None of them is reachable through the API, all count against the storage.
 */
export class FilesHousekeeping {
  private readonly trash: FileTrash;
  private readonly uploads: FileUploads;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly deps: {
      files: ServerFiles;
      /** Every server whose folder is kept (all tenants). */
      serverIds: () => Promise<string[]>;
      now?: () => number;
      log?: HousekeepingLog;
    },
  ) {
    this.now = deps.now ?? Date.now;
    this.trash = new FileTrash(deps.files, this.now);
    this.uploads = new FileUploads(deps.files, this.now);
  }

  /** Removes expired trash items of every server; returns how many per server (servers with none left out). */
  async purgeExpiredTrash(): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    for (const serverId of await this.deps.serverIds()) {
      try {
        const ids = await this.trash.removeExpired(serverId);
        if (ids.length > 0) removed[serverId] = ids.length;
      } catch (error) {
        this.deps.log?.warn({ err: error, serverId }, 'could not purge the expired trash of a server');
      }
    }
    if (Object.keys(removed).length > 0) this.deps.log?.info({ removed }, 'purged expired trash items');
    return removed;
  }

  /**
   * Removes what interrupted saves, extractions and uploads left behind, once untouched for
   * `minAgeMs`; expired uploads go too. Returns the removed paths (relative to each server folder).
   */
  async sweepLeftovers(minAgeMs = LEFTOVER_MIN_AGE_MS): Promise<Record<string, string[]>> {
    const removed: Record<string, string[]> = {};
    const cutoff = this.now() - minAgeMs;
    for (const serverId of await this.deps.serverIds()) {
      const gone: string[] = [];
      try {
        for (const dir of WORK_DIRS) {
          for (const entry of await this.entries(serverId, dir)) {
            if (entry.mtimeMs > cutoff) continue;
            await this.deps.files.remove(serverId, `${dir}/${entry.name}`);
            gone.push(`${dir}/${entry.name}`);
          }
        }
        // Expired uploads (record and bytes) are removed by listing the open ones.
        const before = await this.entries(serverId, UPLOADS_DIR);
        const recorded = new Set(
          before.filter((e) => e.name.endsWith('.json')).map((e) => e.name.slice(0, -5)),
        );
        const open = new Set((await this.uploads.open(serverId)).map((u) => u.id));
        for (const id of recorded) if (!open.has(id)) gone.push(`${UPLOADS_DIR}/${id}.json`);
        for (const entry of before) {
          if (!entry.name.endsWith('.part')) continue;
          const id = entry.name.slice(0, -5);
          if (recorded.has(id)) {
            if (!open.has(id)) gone.push(`${UPLOADS_DIR}/${entry.name}`);
            continue;
          }
          // A partial file without its record: a crash between the two writes of a new upload.
          if (entry.mtimeMs > cutoff) continue;
          await this.deps.files.remove(serverId, `${UPLOADS_DIR}/${entry.name}`);
          gone.push(`${UPLOADS_DIR}/${entry.name}`);
        }
      } catch (error) {
        this.deps.log?.warn({ err: error, serverId }, 'could not sweep the files work folders of a server');
      }
      if (gone.length > 0) removed[serverId] = gone;
    }
    if (Object.keys(removed).length > 0)
      this.deps.log?.info({ removed }, 'removed work files interrupted saves and uploads left behind');
    return removed;
  }

  /** The sweep now (in the background), then the trash purge every `intervalMs` (0: never). */
  start(intervalMs: number): void {
    this.running = this.sweepLeftovers()
      .then(() => this.purgeExpiredTrash())
      .catch((error: unknown) => this.deps.log?.warn({ err: error }, 'files housekeeping failed'));
    if (intervalMs > 0) {
      this.timer = setInterval(() => {
        this.running = this.purgeExpiredTrash().catch((error: unknown) =>
          this.deps.log?.warn({ err: error }, 'files housekeeping failed'),
        );
      }, intervalMs);
      this.timer.unref();
    }
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async entries(serverId: string, dir: string) {
    try {
      return await this.deps.files.list(serverId, dir);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'FILE_NOT_FOUND') return [];
      throw error;
    }
  }
}
