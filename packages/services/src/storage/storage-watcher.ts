import type { Database } from '@minefleet/db/database';
import { servers } from '@minefleet/db/schema';
import type { Actor } from '../actor.js';
import type { Logger } from '../logger.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import { MB, storageFullReason, storageWarningReason, type StorageMeter } from './storage-room.js';

/** The share of the plan's storage at which a running server gets a warning. */
export const STORAGE_WARN_RATIO = 0.9;
/** The platform's own actor for stops it makes (the audit shows this id). */
const STORAGE_WATCHER_USER_ID = '00000000-0000-0000-0000-000000000002';

export interface StorageWatcherDeps {
  db: Database;
  lifecycle: LifecycleService;
  /** The runtime driver, which measures a server's files (each round asks for a fresh measurement). */
  storage: StorageMeter;
  logger: Logger;
  /** Milliseconds between checks (0: never on a timer). */
  intervalMs: number;
  /** Whether this replica runs the server's background work. */
  owns?: (serverId: string) => boolean;
}

export type StorageVerdict = 'ok' | 'warning' | 'full';

/**
 * Watches each running server's folder against its plan's storage (docs/runtime.md): at 90 % a warning in
 * the log and in the server's status reason; at 100 % a graceful stop with the reason kept on the server,
 * and starts are refused (STORAGE_LIMIT_REACHED) until files are deleted.
 */
export class StorageWatcher {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly deps: StorageWatcherDeps) {}

  start(): void {
    if (this.deps.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (!this.round)
        this.round = this.checkAll()
          .then(() => undefined)
          .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'storage check failed'))
          .finally(() => (this.round = undefined));
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.round;
  }

  /** One check of every running server this replica owns. */
  async checkAll(): Promise<Map<string, StorageVerdict>> {
    const rows = await this.deps.db.system((tx) =>
      tx
        .select({
          id: servers.id,
          tenantId: servers.tenantId,
          status: servers.status,
          storageMb: servers.storageMb,
          statusReason: servers.statusReason,
        })
        .from(servers),
    );
    const verdicts = new Map<string, StorageVerdict>();
    for (const row of rows) {
      if (this.closed) break;
      if (row.status !== 'running' || !(this.deps.owns?.(row.id) ?? true)) continue;
      verdicts.set(row.id, await this.checkOne(row).catch(() => 'ok' as const));
    }
    return verdicts;
  }

  private async checkOne(server: {
    id: string;
    tenantId: string;
    storageMb: number;
    statusReason: string | null;
  }): Promise<StorageVerdict> {
    const { lifecycle, logger } = this.deps;
    // Fresh: the game writes without telling anyone, and this round is what keeps the driver's
    // measurement of a running server current for the start checks, quotas and metrics in between.
    const used = await this.deps.storage.storageUsed(server.id, { fresh: true });
    const limit = server.storageMb * MB;
    if (used >= limit) {
      const reason = storageFullReason(used, server.storageMb);
      logger.warn({ serverId: server.id, usedBytes: used, limitBytes: limit }, `stopping: ${reason}`);
      const actor: Actor = { userId: STORAGE_WATCHER_USER_ID, tenantId: server.tenantId, role: 'operator' };
      await lifecycle.stop(actor, server.id, {});
      const settled = await lifecycle.whenStatus(server.id, ['stopped', 'failed', 'crashed'], 120_000);
      if (settled) await lifecycle.note(server.id, reason);
      return 'full';
    }
    const warning = server.statusReason?.startsWith('storage almost full') ?? false;
    if (used >= limit * STORAGE_WARN_RATIO) {
      const reason = storageWarningReason(used, server.storageMb);
      if (!warning) logger.warn({ serverId: server.id, usedBytes: used, limitBytes: limit }, reason);
      if (server.statusReason !== reason && (warning || server.statusReason === null))
        await lifecycle.note(server.id, reason);
      return 'warning';
    }
    if (warning) await lifecycle.note(server.id, null);
    return 'ok';
  }
}
