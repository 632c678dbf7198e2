import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Database } from '@minefleet/db/database';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { createPluginSources } from '@minefleet/plugins/plugin-sources-config';
import { FilesPluginFolder, filesPluginDir } from '@minefleet/plugins/files-plugin-folder';
import { ServerPluginFolder } from '@minefleet/plugins/server-plugin-folder';
import type { PlatformAdmins } from '@minefleet/services/platform-admins';
import { PluginCatalogueService } from '@minefleet/services/plugins/catalogue-service';
import { PluginCatalogueSync } from '@minefleet/services/plugins/catalogue-sync';
import { PluginFiles } from '@minefleet/services/plugins/plugin-files';
import { PluginInstallService } from '@minefleet/services/plugins/install-service';
import type { Config } from './config.js';
import { pluginCatalogueRoutes } from './http/routes/plugins.js';
import { serverPluginRoutes } from './http/routes/server-plugins.js';
import {
  Plugin,
  PluginInstallResult,
  PluginInstallation,
  PluginSummary,
  PluginVersion,
} from './http/schemas/plugins.js';

export interface PluginsPlatform {
  installs: PluginInstallService;
  routes: FastifyPluginAsyncTypebox[];
  extraSchemas: { $id?: string }[];
  /** Starts the periodic catalogue sync. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Plugins (docs/plugins.md): the sources (adapters) are chosen here and handed to the services through
 * the PluginSource and PluginFolder ports; the catalogue, its sync, and installs into servers.
 */
export async function createPluginsPlatform(options: {
  config: Config['plugins'];
  database: Database;
  runtime: RuntimeDriver;
  logger: Logger;
  admins: PlatformAdmins;
}): Promise<PluginsPlatform> {
  const { config, database, logger } = options;
  const sources = await createPluginSources(config);
  const sync = new PluginCatalogueSync({
    db: database,
    sources,
    logger: logger.child({ component: 'plugin-sync' }),
    searchLimit: config.syncLimit,
  });
  const catalogue = new PluginCatalogueService({ db: database, admins: options.admins, sync });
  // Where the servers' files are: folders of this machine, or elsewhere behind the runtime's files port
  // (Kubernetes: a pod's volume through its agent), where plugin files go through that port.
  const remote = options.runtime.files?.();
  const installs = new PluginInstallService({
    db: database,
    runtime: options.runtime,
    pluginsDir: remote
      ? (serverId) => filesPluginDir(serverId, 'plugins')
      : (serverId) => options.runtime.workspace(serverId).pluginsDir,
    files: new PluginFiles(sources, remote ? new FilesPluginFolder(remote) : new ServerPluginFolder()),
    logger: logger.child({ component: 'plugins' }),
  });
  const interrupted = await installs.failInterrupted();
  if (interrupted > 0)
    logger.warn({ interrupted }, 'plugin installs interrupted by the last stop marked failed');
  return {
    installs,
    routes: [pluginCatalogueRoutes({ catalogue }), serverPluginRoutes({ installs })],
    extraSchemas: [PluginVersion, PluginSummary, Plugin, PluginInstallation, PluginInstallResult],
    start: () => sync.start(config.syncIntervalMinutes * 60_000),
    async close() {
      await sync.close();
      await installs.close();
    },
  };
}
