import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BackupStoreSettings } from '@minefleet/backups/create-store';
import { ONLINE_STAGING_PREFIX } from './platform-backup-online.js';

/**
 * Work files that only exist while something is being written — a backup archive arriving in the local
 * store (`<store>/.incoming/*.part`), a plugin being downloaded or staged into a server's plugin folder
 * (`plugins/.<file>.<random>.part`, `plugins/.minefleet-staging-*`) — are normally removed by the code
 * that made them. A crash leaves them behind, uncounted by any quota. At start they are swept, once
 * they have not been touched for `minAgeMs` (another replica may be writing one right now: a write in
 * progress keeps its modification time fresh).
 */
export async function sweepCrashLeftovers(options: {
  dataDir: string;
  /** The local backup store's folder, when the store is local. */
  backupDir?: string | undefined;
  minAgeMs: number;
  now?: number;
}): Promise<string[]> {
  const now = options.now ?? Date.now();
  const removed: string[] = [];
  const sweep = async (dir: string, matches: (name: string) => boolean) => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!matches(name)) continue;
      const full = path.join(dir, name);
      const info = await lstat(full).catch(() => undefined);
      if (!info || now - info.mtimeMs < options.minAgeMs) continue;
      await rm(full, { recursive: true, force: true });
      removed.push(full);
    }
  };
  // An online platform backup's staging folder (platform-backup-online.ts) whose process died mid-way.
  await sweep(options.dataDir, (n) => n.startsWith(ONLINE_STAGING_PREFIX));
  if (options.backupDir) await sweep(path.join(options.backupDir, '.incoming'), (n) => n.endsWith('.part'));
  const servers = path.join(options.dataDir, 'servers');
  for (const id of await readdir(servers).catch(() => [] as string[])) {
    await sweep(
      path.join(servers, id, 'plugins'),
      (n) => n.startsWith('.minefleet-staging-') || (n.startsWith('.') && n.endsWith('.part')),
    );
  }
  return removed;
}

/** The start-up sweep of the control plane: in the background, logged, never failing the start. */
export function sweepAtStart(
  options: { dataDir: string; storeKind: string; store: BackupStoreSettings },
  logger: { info(fields: object, message: string): void; warn(fields: object, message: string): void },
): void {
  const backupDir =
    options.storeKind === 'local'
      ? options.store.kind === 'local'
        ? options.store.dir
        : path.join(options.dataDir, 'backups')
      : undefined;
  sweepCrashLeftovers({ dataDir: options.dataDir, backupDir, minAgeMs: 10 * 60_000 }).then(
    (removed) => {
      if (removed.length > 0) logger.info({ removed }, 'removed work files a crash left behind');
    },
    (error: unknown) => logger.warn({ err: error }, 'could not sweep crash leftovers'),
  );
}
