/**
 * Plugins on a server: install (with the whole dependency graph resolved against the server's Minecraft
 * version and distribution), enable/disable, reconfigure, upgrade and remove.
 *
 * Every change of one server's plugins runs under that server's plugin lock (installs, upgrades and
 * removals never interleave on a folder). An install answers once the plan is recorded (rows
 * `installing`) and keeps the lock while the files are downloaded, verified and placed in the
 * background; the rows then settle to `installed` (or `disabled`) or `failed` with the error.
 * flying-squid has no plugin reload, so every change applies on the next start (`applied: on_restart`).
 */
import { eq } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { serverPlugins } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import { isUuid } from '@minefleet/domain/names';
import { resolvePluginInstall, type ResolutionPlan } from '@minefleet/domain/plugin-resolver';
import { dependentsOf, orphansAfterRemoval } from '@minefleet/domain/plugin-resolver-dependents';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { Permission } from '@minefleet/domain/permissions';
import { isActionAllowed } from '@minefleet/domain/server-state';
import { scopeOf, type Actor } from '../actor.js';
import type { Logger } from '../logger.js';
import type { ServerRecord } from '../servers.js';
import type { InstallationRecord } from './catalogue-records.js';
import { loadCatalogueGraph, type CatalogueGraph } from './catalogue-graph.js';
import { AcceptedLocks } from './accepted-locks.js';
import { assertConfigOverrides, writeConfigOverrides } from './config-overrides.js';
import { applyChanges, writeLoadOrder, type ApplyTarget } from './install-apply.js';
import { planResult, recordChanges, type Applied, type PlanResult } from './install-plan.js';
import { assertNoEnabledDependents, toEnable } from './installation-rules.js';
import type { PluginFiles } from './plugin-files.js';
import {
  loadServerPluginState,
  type InstallationView,
  type ServerPluginState,
} from './server-plugin-state.js';
import { loadServerFor } from '../server-access.js';

// The shapes its answers take, for callers such as the API's serializers: the modules that define them
// are parts of this service.
export type { Applied, PlanResult } from './install-plan.js';
export type { InstallationView } from './server-plugin-state.js';

export interface InstallInput {
  pluginId: string;
  version?: string | undefined;
  configOverrides?: Record<string, unknown> | undefined;
  /** Resolve and answer the plan without changing anything. */
  dryRun?: boolean | undefined;
}

export interface InstallationPatch {
  enabled?: boolean | undefined;
  configOverrides?: Record<string, unknown> | undefined;
  /** An exact catalogue version, or `latest` for the newest one that resolves. */
  version?: string | undefined;
}

export interface RemoveResult {
  removed: { id: string; pluginId: string }[];
  /** Plugins installed only as dependencies that nothing needs any more (kept unless asked). */
  orphans: string[];
  applied: Applied;
}

export class PluginInstallService {
  private readonly locks: AcceptedLocks;

  constructor(
    private readonly deps: {
      db: Database;
      runtime: Pick<RuntimeDriver, 'storageChanged'>;
      /**
       * Where a server's plugin folder is, as `files.folder` addresses it (a local path where the server's
       * files are a folder of this machine).
       */
      pluginsDir: (serverId: string) => string;
      files: PluginFiles;
      logger: Logger;
      lockWaitMs?: number;
    },
  ) {
    this.locks = new AcceptedLocks(deps.logger, deps.lockWaitMs ?? 5_000);
  }

  // ─── Reading ─────────────────────────────────────────────────────────────────────────────────

  async list(actor: Actor, serverId: string): Promise<InstallationView[]> {
    await this.authorize(actor, serverId, 'plugin.read');
    return (await this.state(actor, serverId)).views;
  }

  async get(actor: Actor, serverId: string, installationId: string): Promise<InstallationView> {
    await this.authorize(actor, serverId, 'plugin.read');
    return this.mustFind(await this.state(actor, serverId), installationId);
  }

  // ─── Install ─────────────────────────────────────────────────────────────────────────────────

  async install(actor: Actor, serverId: string, input: InstallInput): Promise<PlanResult> {
    const server = await this.authorize(actor, serverId, 'plugin.install', true);
    assertConfigOverrides(this.deps.files.folder, server, input.configOverrides);
    return this.locks.run(serverId, 'plugin-install', async (accept) => {
      const state = await this.state(actor, serverId);
      const { plan, graph } = await this.resolve(actor, server, state, input.pluginId, input.version);
      const base = planResult(plan, graph, state);
      if (input.dryRun) return base;

      if (plan.changes.length === 0) {
        const existing = state.byPlugin(input.pluginId);
        if (!existing?.row.asDependency) {
          throw new DomainError(
            'PLUGIN_ALREADY_INSTALLED',
            `${input.pluginId} is already installed on this server${existing ? ` (${existing.row.version})` : ''}.`,
            { plugin_id: input.pluginId, installation_id: existing?.row.id, version: existing?.row.version },
          );
        }
        // Installed as someone's dependency, now wanted for itself: it stays when its dependent goes.
        await this.deps.db.tenant(scopeOf(actor), (tx) =>
          tx
            .update(serverPlugins)
            .set({
              asDependency: false,
              ...(input.configOverrides && { configOverrides: input.configOverrides }),
              updatedAt: new Date(),
            })
            .where(eq(serverPlugins.id, existing.row.id)),
        );
        if (input.configOverrides) await this.writeConfig(server, existing.row, input.configOverrides);
        const installation = this.mustFind(await this.state(actor, serverId), existing.row.id);
        return { ...base, installation };
      }

      const changes = await this.deps.db.tenant(scopeOf(actor), (tx) =>
        recordChanges(tx, server, state, plan, graph, {
          pluginId: input.pluginId,
          configOverrides: input.configOverrides,
        }),
      );
      const installation = this.mustFind(
        await this.state(actor, serverId),
        changes.find((c) => c.plugin.id === input.pluginId)?.row.id ?? state.byPlugin(input.pluginId)!.row.id,
      );
      accept({ ...base, installation, accepted: true });
      await applyChanges(this.deps, this.target(actor, server), changes).finally(() =>
        this.deps.runtime.storageChanged(server.id),
      );
      return undefined;
    });
  }

  // ─── Change ──────────────────────────────────────────────────────────────────────────────────

  async update(
    actor: Actor,
    serverId: string,
    installationId: string,
    patch: InstallationPatch,
  ): Promise<PlanResult> {
    const server = await this.authorize(actor, serverId, 'plugin.install', true);
    assertConfigOverrides(this.deps.files.folder, server, patch.configOverrides);
    return this.locks.run(serverId, 'plugin-update', async (accept) => {
      let state = await this.state(actor, serverId);
      const current = this.mustFind(state, installationId);
      if (current.row.status === 'failed' && patch.version === undefined) {
        throw new DomainError(
          'INVALID_TRANSITION',
          'This installation failed: install it again (or give a version), or remove it.',
          { installation_id: installationId, status: 'failed', error_code: current.row.errorCode },
        );
      }
      const target = this.target(actor, server);
      const folder = this.deps.files.folder;

      if (patch.configOverrides) {
        await this.deps.db.tenant(scopeOf(actor), (tx) =>
          tx
            .update(serverPlugins)
            .set({ configOverrides: patch.configOverrides, updatedAt: new Date() })
            .where(eq(serverPlugins.id, installationId)),
        );
        if (current.row.status !== 'failed') {
          await this.writeConfig(server, current.row, patch.configOverrides);
        }
      }
      if (patch.enabled !== undefined && patch.enabled !== current.row.enabled) {
        const ids = patch.enabled
          ? toEnable(state, current)
          : (assertNoEnabledDependents(state, current), [current]);
        for (const view of ids) {
          if (view.row.fileName && view.row.status !== 'failed') {
            await folder.setEnabled(target.pluginsDir, view.row.fileName, patch.enabled);
          }
        }
        await this.deps.db.tenant(scopeOf(actor), async (tx) => {
          for (const view of ids) {
            await tx
              .update(serverPlugins)
              .set({
                enabled: patch.enabled,
                ...(view.row.status !== 'failed' && { status: patch.enabled ? 'installed' : 'disabled' }),
                updatedAt: new Date(),
              })
              .where(eq(serverPlugins.id, view.row.id));
          }
        });
        await writeLoadOrder(this.deps, target);
      }

      state = await this.state(actor, serverId);
      const applied = this.applied(server);
      if (patch.version === undefined) {
        return {
          installation: this.mustFind(state, installationId),
          resolved: [],
          loadOrder: state.loadOrder(),
          skippedOptional: [],
          applied,
          accepted: false,
        };
      }

      const wanted = patch.version === 'latest' ? undefined : patch.version;
      const { plan, graph } = await this.resolve(actor, server, state, current.row.pluginId, wanted);
      const base = planResult(plan, graph, state);
      if (plan.changes.length === 0) return { ...base, installation: this.mustFind(state, installationId) };
      const changes = await this.deps.db.tenant(scopeOf(actor), (tx) =>
        recordChanges(tx, server, state, plan, graph, {
          pluginId: current.row.pluginId,
          configOverrides: undefined,
        }),
      );
      accept({
        ...base,
        installation: this.mustFind(await this.state(actor, serverId), installationId),
        accepted: true,
      });
      await applyChanges(this.deps, target, changes).finally(() =>
        this.deps.runtime.storageChanged(server.id),
      );
      return undefined;
    });
  }

  // ─── Remove ──────────────────────────────────────────────────────────────────────────────────

  async remove(
    actor: Actor,
    serverId: string,
    installationId: string,
    options: { removeOrphans?: boolean | undefined } = {},
  ): Promise<RemoveResult> {
    const server = await this.authorize(actor, serverId, 'plugin.install', true);
    return this.locks.run(serverId, 'plugin-remove', async () => {
      const state = await this.state(actor, serverId);
      const view = this.mustFind(state, installationId);
      const installed = state.installed();
      const dependents = dependentsOf(view.row.pluginId, installed);
      if (dependents.length > 0 && view.row.status !== 'failed') {
        throw new DomainError(
          'PLUGIN_HAS_DEPENDENTS',
          `${dependents.map((d) => d.pluginId).join(', ')} ${dependents.length === 1 ? 'depends' : 'depend'} on ${view.row.pluginId}: remove ${dependents.length === 1 ? 'it' : 'them'} first.`,
          {
            plugin_id: view.row.pluginId,
            dependents: dependents.map((d) => ({
              plugin_id: d.pluginId,
              installation_id: state.byPlugin(d.pluginId)?.row.id,
            })),
          },
        );
      }
      const orphans = orphansAfterRemoval(view.row.pluginId, installed);
      const removing = [view, ...(options.removeOrphans ? orphans.map((id) => state.byPlugin(id)!) : [])];
      const target = this.target(actor, server);
      try {
        for (const item of removing) {
          if (item.row.fileName) {
            await this.deps.files.folder.remove(target.pluginsDir, server.distribution, item.row.fileName);
          }
        }
      } finally {
        this.deps.runtime.storageChanged(server.id);
      }
      await this.deps.db.tenant(scopeOf(actor), async (tx) => {
        for (const item of removing) await tx.delete(serverPlugins).where(eq(serverPlugins.id, item.row.id));
      });
      await writeLoadOrder(this.deps, target);
      return {
        removed: removing.map((r) => ({ id: r.row.id, pluginId: r.row.pluginId })),
        orphans: options.removeOrphans ? [] : orphans,
        applied: this.applied(server),
      };
    });
  }

  /**
   * Installs left `installing` by a control plane that stopped mid-download never finish: they are
   * failed at start (one control plane per data folder; the files were never placed).
   */
  async failInterrupted(): Promise<number> {
    const rows = await this.deps.db.system((tx) =>
      tx
        .update(serverPlugins)
        .set({
          status: 'failed',
          errorCode: 'INTERNAL',
          error: 'The control plane stopped during the install; install it again.',
          updatedAt: new Date(),
        })
        .where(eq(serverPlugins.status, 'installing'))
        .returning({ id: serverPlugins.id }),
    );
    return rows.length;
  }

  /** Waits for installs in progress (their rows must settle before the database closes). */
  async close(): Promise<void> {
    await this.locks.drain();
  }

  // ─── Helpers ─────────────────────────────────────────────────────────────────────────────────

  /** The server, if the actor's tenant has it (404 otherwise) and the actor holds `needs`. */
  private async authorize(
    actor: Actor,
    serverId: string,
    needs: Permission,
    change = false,
  ): Promise<ServerRecord> {
    const server = await loadServerFor(this.deps.db, actor, serverId, needs);
    // Plugins change the server's files: not while it is being created, restored or deleted.
    if (change && !isActionAllowed('configure', server.status)) {
      throw new DomainError(
        'INVALID_TRANSITION',
        `Plugins cannot change while the server is ${server.status}.`,
        {
          status: server.status,
          action: 'plugins',
        },
      );
    }
    return server;
  }

  private state(actor: Actor, serverId: string): Promise<ServerPluginState> {
    return this.deps.db.tenant(scopeOf(actor), (tx) => loadServerPluginState(tx, serverId));
  }

  private mustFind(state: ServerPluginState, installationId: string): InstallationView {
    const view = isUuid(installationId) ? state.byId(installationId) : undefined;
    if (!view) {
      throw new DomainError('INSTALLATION_NOT_FOUND', 'No such plugin installation on this server.', {
        installation_id: installationId,
      });
    }
    return view;
  }

  private async resolve(
    actor: Actor,
    server: ServerRecord,
    state: ServerPluginState,
    pluginId: string,
    version: string | undefined,
  ): Promise<{ plan: ResolutionPlan; graph: CatalogueGraph }> {
    const installed = state.installed();
    const graph = await this.deps.db.tenant(scopeOf(actor), (tx) =>
      loadCatalogueGraph(tx, [pluginId, ...installed.map((p) => p.pluginId)]),
    );
    const plan = resolvePluginInstall({
      pluginId,
      ...(version !== undefined && { version }),
      minecraftVersion: server.minecraftVersion,
      distribution: server.distribution,
      catalogue: graph.lookup,
      installed,
    });
    return { plan, graph };
  }

  private writeConfig(
    server: ServerRecord,
    row: InstallationRecord,
    config: Record<string, unknown>,
  ): Promise<void> {
    const pluginsDir = this.deps.pluginsDir(server.id);
    return writeConfigOverrides(this.deps.files.folder, pluginsDir, server, row, config);
  }

  private applied(server: ServerRecord): Applied {
    return this.deps.files.folder.capabilities(server.distribution).liveReload ? 'live' : 'on_restart';
  }

  private target(actor: Actor, server: ServerRecord): ApplyTarget {
    return {
      serverId: server.id,
      distribution: server.distribution,
      pluginsDir: this.deps.pluginsDir(server.id),
      scope: scopeOf(actor),
    };
  }
}
