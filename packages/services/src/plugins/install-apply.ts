/**
 * The background half of an install or upgrade: the rows are already `installing`; this places the
 * files and settles every row to `installed`/`disabled`, or back to where it was with the error.
 */
import { and, eq } from 'drizzle-orm';
import type { Database, TenantScope } from '@minefleet/db/database';
import { serverPlugins } from '@minefleet/db/schema';
import type { Distribution } from '@minefleet/domain/distributions';
import { isDomainError } from '@minefleet/domain/errors';
import type { Logger } from '../logger.js';
import type { InstallationRecord } from './catalogue-records.js';
import type { PluginFiles, VersionToPlace } from './plugin-files.js';
import { loadServerPluginState } from './server-plugin-state.js';

/** One planned change with its row (already `installing`) and what was there before. */
export interface ChangeToApply extends VersionToPlace {
  row: InstallationRecord;
  /** The installation as it was before this change, when the plugin was on the server. */
  previous?: Pick<InstallationRecord, 'version' | 'fileName' | 'status' | 'enabled'> | undefined;
  /** Write the row's configuration even when empty (the user set it in this request). */
  writeConfig: boolean;
}

export interface ApplyTarget {
  serverId: string;
  distribution: Distribution;
  pluginsDir: string;
  scope: TenantScope;
}

export async function applyChanges(
  deps: { db: Database; files: PluginFiles; logger: Logger },
  target: ApplyTarget,
  changes: readonly ChangeToApply[],
): Promise<void> {
  const { db, files } = deps;
  const { pluginsDir: dir, distribution } = target;
  const folder = files.folder;
  try {
    const replaced = changes
      .map((c) => c.previous?.fileName)
      .filter((name): name is string => !!name)
      .filter((name) => !changes.some((c) => c.version.fileName === name));
    await files.place(dir, distribution, changes, replaced);
    for (const change of changes) {
      if (!change.row.enabled) await folder.setEnabled(dir, change.version.fileName, false);
      const overrides = change.row.configOverrides;
      if (
        folder.capabilities(distribution).configOverrides &&
        (change.writeConfig || Object.keys(overrides).length > 0)
      ) {
        await folder.writeConfig(dir, distribution, change.version.fileName, overrides);
      }
    }
    await db.tenant(target.scope, async (tx) => {
      for (const change of changes) {
        await tx
          .update(serverPlugins)
          .set({
            status: change.row.enabled ? 'installed' : 'disabled',
            errorCode: null,
            error: null,
            updatedAt: new Date(),
          })
          .where(eq(serverPlugins.id, change.row.id));
      }
      // The load order is written before the new statuses commit: whoever sees `installed` finds the
      // plugin in the load order too.
      const state = await loadServerPluginState(tx, target.serverId);
      await deps.files.folder.writeLoadOrder(
        target.pluginsDir,
        target.distribution,
        state.loadOrderFileNames(),
      );
    });
  } catch (error) {
    const code = isDomainError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.warn(
      { err: error, serverId: target.serverId, plugins: changes.map((c) => c.plugin.id) },
      'plugin install failed',
    );
    // New plugins are marked failed; upgraded ones go back to the version whose file is still there
    // (the folder is unchanged on failure), with the reason the upgrade did not happen.
    await db.tenant(target.scope, async (tx) => {
      for (const change of changes) {
        const back = change.previous;
        await tx
          .update(serverPlugins)
          .set({
            ...(back
              ? { version: back.version, fileName: back.fileName, status: back.status }
              : { status: 'failed' as const }),
            errorCode: code,
            error: message,
            updatedAt: new Date(),
          })
          .where(and(eq(serverPlugins.id, change.row.id), eq(serverPlugins.serverId, target.serverId)));
      }
    });
  }
}

/** Rewrites the loader's load order from the server's enabled plugins. */
export async function writeLoadOrder(
  deps: { db: Database; files: PluginFiles },
  target: ApplyTarget,
): Promise<void> {
  const state = await deps.db.tenant(target.scope, (tx) => loadServerPluginState(tx, target.serverId));
  await deps.files.folder.writeLoadOrder(target.pluginsDir, target.distribution, state.loadOrderFileNames());
}
