import { existsSync } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Database } from '@minefleet/db/database';
import { eq } from 'drizzle-orm';
import { servers } from '@minefleet/db/schema';
import { isPropertyKey } from '@minefleet/domain/server-properties';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { LocalServerFiles } from '@minefleet/runtime-local/local-server-files';
import { parseProperties } from '@minefleet/runtime-local/properties-file';
import type { AccountService } from '@minefleet/services/accounts';
import type { ConfigManager } from '@minefleet/services/config-manager';
import { announcingChanges } from '@minefleet/services/files/announced-files';
import { FilesService, type ManagedFile } from '@minefleet/services/files/files-service';
import { FilesHousekeeping, type HousekeepingLog } from '@minefleet/services/files/files-housekeeping';
import { fileRoutes } from './http/routes/files.js';
import { FileEntry, FileVersion, TextFile, TrashItem } from './http/schemas/files.js';

export interface FilesPlatform {
  files: FilesService;
  routes: FastifyPluginAsyncTypebox[];
  extraSchemas: { $id?: string }[];
  housekeeping: FilesHousekeeping;
  /** Sweeps what interrupted saves and uploads left, then purges expired trash every interval. */
  start(): void;
  stop(): Promise<void>;
}

/**
 * server.properties saved through the files API is a settings change: the catalogue's keys that changed
 * go through the configuration manager (validated, a numbered revision, admin only, live where
 * possible), so the next start renders the same values for every distribution. Other keys are kept in
 * the file as written.
 */
function serverPropertiesFile(config: ConfigManager): ManagedFile {
  return {
    async beforeWrite(actor, server, previous, next) {
      const before = previous
        ? parseProperties(Buffer.from(previous).toString('latin1'))
        : new Map<string, string>();
      const after = parseProperties(Buffer.from(next).toString('latin1'));
      const patch: Record<string, unknown> = {};
      let maxPlayers: number | undefined;
      for (const [key, value] of after) {
        if (before.get(key) === value) continue;
        if (key === 'max-players' && /^\d+$/.test(value)) maxPlayers = Number(value);
        else if (isPropertyKey(key)) patch[key] = value;
      }
      for (const key of before.keys()) if (!after.has(key) && isPropertyKey(key)) patch[key] = null;
      if (Object.keys(patch).length === 0 && maxPlayers === undefined) return;
      await config.update(actor, server.id, { serverProperties: patch, maxPlayers });
    },
  };
}

/** The files API (docs/files.md) over the server folders, or the runtime's own files adapter. */
export function createFilesPlatform(options: {
  database: Database;
  runtime: RuntimeDriver;
  accounts: AccountService;
  config: ConfigManager;
  /** Minutes between expired-trash purges (0: only at start). */
  housekeepingIntervalMinutes: number;
  logger: HousekeepingLog;
  now?: () => number;
}): FilesPlatform {
  // The runtime's own files adapter where its servers' files are elsewhere (Kubernetes: each running
  // server's volume through its pod's agent), else the local adapter on the server folders.
  const remote = options.runtime.files?.();
  const serverFiles = announcingChanges(
    remote ?? new LocalServerFiles((serverId) => options.runtime.workspace(serverId).root),
    options.runtime,
  );
  const files = new FilesService({
    db: options.database,
    files: serverFiles,
    storage: options.runtime,
    managed: { 'server.properties': serverPropertiesFile(options.config) },
    ...(options.now ? { now: options.now } : {}),
  });
  const housekeeping = new FilesHousekeeping({
    files: serverFiles,
    // Only the folders this host keeps (listing a folder through the adapter would create it). Where the
    // files are elsewhere (Kubernetes: a pod's volume), the running servers' only: a stopped server's volume
    // would need a pod started for it, and its trash waits until it runs (docs/kubernetes.md).
    serverIds: async () =>
      remote
        ? (
            await options.database.system((tx) =>
              tx.select({ id: servers.id }).from(servers).where(eq(servers.status, 'running')),
            )
          ).map((s) => s.id)
        : (await options.database.system((tx) => tx.select({ id: servers.id }).from(servers)))
            .map((s) => s.id)
            .filter((id) => existsSync(options.runtime.workspace(id).root)),
    log: options.logger,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    files,
    routes: [fileRoutes({ files, accounts: options.accounts })],
    extraSchemas: [FileEntry, TextFile, TrashItem, FileVersion],
    housekeeping,
    start: () => housekeeping.start(options.housekeepingIntervalMinutes * 60_000),
    stop: () => housekeeping.stop(),
  };
}
