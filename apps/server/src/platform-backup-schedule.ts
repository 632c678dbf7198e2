import type { Logger } from 'pino';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { OnlinePlatformBackups } from './platform-backup-online.js';

/** Where scheduled platform backups are kept in the backup store (tenant archives are under UUIDs). */
export const PLATFORM_BACKUP_PREFIX = 'platform/';
const NAME = /^platform\/minefleet-platform-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)\.tar\.gz$/;

export interface StoredPlatformBackup {
  key: string;
  sizeBytes: number;
  createdAt: Date;
}

/** The key of a backup taken at `at`, and the time back from a key (undefined: not one of ours). */
export function platformBackupKey(at: Date): string {
  return `${PLATFORM_BACKUP_PREFIX}minefleet-platform-${at.toISOString().replace(/[:.]/g, '-')}.tar.gz`;
}

function createdAtOf(key: string): Date | undefined {
  const stamp = NAME.exec(key)?.[1];
  if (!stamp) return undefined;
  const [date, time] = stamp.split('T') as [string, string];
  const [h, m, s, ms] = time.replace('Z', '').split('-');
  return new Date(`${date}T${h}:${m}:${s}.${ms}Z`);
}

export interface PlatformBackupScheduleSettings {
  /** Hours between backups (MINEFLEET_PLATFORM_BACKUP_HOURS); 0: off. */
  intervalHours: number;
  /** Newest backups kept in the store (MINEFLEET_PLATFORM_BACKUP_KEEP); older ones are deleted. */
  keep: number;
}

/**
 * The platform backup on a schedule: the leading replica writes the online platform backup (the
 * archive `POST /admin/platform-backup` streams) into the backup store under `platform/`, when the
 * newest one there is older than the interval, and deletes all but the newest `keep`. The store's own
 * listing is the schedule's memory, so a restart or a change of leader neither repeats nor skips one.
 * Success and failure are kept for /metrics (an alert fires when none succeeded within twice the
 * interval, docs/runbooks/MinefleetPlatformBackupMissing.md).
 */
export class PlatformBackupSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Whether this replica led at the last check: a new leader looks at the store at once. */
  private leading = false;
  /** No need to look at the store before this (ms since the epoch). */
  private nextCheckAt = 0;
  /** Seconds since the epoch of the newest backup known to be in the store (0: none). */
  lastSuccessAt = 0;
  failures = 0;

  constructor(
    private readonly deps: {
      backups: OnlinePlatformBackups;
      store: BackupStore;
      settings: PlatformBackupScheduleSettings;
      leads: () => boolean;
      now: () => number;
      logger: Logger;
      /** How often leadership and the due time are checked (default 5 s; the store is read only when due). */
      checkEveryMs?: number;
    },
  ) {}

  get settings(): PlatformBackupScheduleSettings {
    return this.deps.settings;
  }

  get enabled(): boolean {
    return this.deps.settings.intervalHours > 0;
  }

  /**
   * A stored platform backup by its name under `platform/` (one stat and the read, not a listing of
   * the store); undefined when there is none by that name.
   */
  async open(name: string): Promise<{ sizeBytes: number; body: AsyncIterable<Uint8Array> } | undefined> {
    const key = `${PLATFORM_BACKUP_PREFIX}${name}`;
    if (!createdAtOf(key)) return undefined;
    const found = await this.deps.store.stat(key);
    return found ? { sizeBytes: found.sizeBytes, body: await this.deps.store.get(key) } : undefined;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    const every = this.deps.checkEveryMs ?? 5_000;
    const tick = () => {
      const leads = this.deps.leads();
      if (leads && !this.leading) this.nextCheckAt = 0;
      this.leading = leads;
      if (!leads || this.deps.now() < this.nextCheckAt) return;
      this.running ??= this.runIfDue().finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, every);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** The platform backups in the store, newest first. */
  async list(): Promise<StoredPlatformBackup[]> {
    const found: StoredPlatformBackup[] = [];
    for await (const item of this.deps.store.list(PLATFORM_BACKUP_PREFIX)) {
      const createdAt = createdAtOf(item.key);
      if (createdAt) found.push({ key: item.key, sizeBytes: item.sizeBytes, createdAt });
    }
    return found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  /** Takes one when the newest in the store is older than the interval, then applies the retention. */
  async runIfDue(): Promise<void> {
    try {
      const stored = await this.list();
      const newest = stored[0]?.createdAt.getTime();
      if (newest !== undefined) this.lastSuccessAt = Math.max(this.lastSuccessAt, newest / 1000);
      const intervalMs = this.deps.settings.intervalHours * 3_600_000;
      if (newest !== undefined && this.deps.now() - newest < intervalMs) {
        this.nextCheckAt = newest + intervalMs;
        return;
      }
      const taken = await this.runNow();
      this.nextCheckAt = taken.createdAt.getTime() + intervalMs;
    } catch (error) {
      // Tried again in a minute.
      this.nextCheckAt = this.deps.now() + 60_000;
      this.failures++;
      this.deps.logger.error({ err: error }, 'scheduled platform backup failed');
    }
  }

  /** Writes one platform backup into the store now and deletes the ones past `keep`. */
  async runNow(): Promise<StoredPlatformBackup> {
    const at = new Date(this.deps.now());
    const key = platformBackupKey(at);
    const { stream } = await this.deps.backups.open();
    let sizeBytes: number;
    try {
      ({ sizeBytes } = await this.deps.store.put(key, stream));
    } catch (error) {
      // Its end removes the staging copy and lets the next backup run.
      stream.destroy();
      throw error;
    }
    this.lastSuccessAt = at.getTime() / 1000;
    this.deps.logger.info({ key, sizeBytes }, 'platform backup stored');
    const stored = await this.list();
    for (const old of stored.slice(this.deps.settings.keep)) await this.deps.store.delete(old.key);
    return { key, sizeBytes, createdAt: at };
  }
}
