import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PluginInstallService } from '@minefleet/services/plugins/install-service';
import { IdParams, PageQuery, Ref, errors } from '../schemas/common.js';
import {
  DryRunQuery,
  InstallBody,
  InstallationList,
  InstallationParams,
  InstallationPatchBody,
  PluginInstallResult,
  PluginInstallation,
  RemoveQuery,
  RemoveResult,
} from '../schemas/plugins.js';
import { Type } from '@sinclair/typebox';
import { actorOf } from '../auth.js';
import { toInstallResult, toInstallation, toRemoveResult } from '../plugin-serializers.js';

/** Plugins on a server: viewers read, admins install, change and remove. */
export function serverPluginRoutes(options: { installs: PluginInstallService }): FastifyPluginAsyncTypebox {
  const { installs } = options;
  return async (app) => {
    app.get(
      '/servers/:id/plugins',
      {
        config: { permission: 'plugin.read' },
        schema: {
          tags: ['plugins'],
          summary: "The server's plugins, with status, dependencies and who requires them",
          params: IdParams,
          querystring: Type.Object(PageQuery),
          response: { 200: InstallationList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const page = { page: request.query.page ?? 1, perPage: request.query.per_page ?? 20 };
        const all = await installs.list(actorOf(request), request.params.id);
        const start = (page.page - 1) * page.perPage;
        return {
          plugins: all.slice(start, start + page.perPage).map(toInstallation),
          pagination: { page: page.page, per_page: page.perPage, total: all.length },
        };
      },
    );

    app.get(
      '/servers/:id/plugins/:installation_id',
      {
        config: { permission: 'plugin.read' },
        schema: {
          tags: ['plugins'],
          summary: 'One plugin installation (poll it while `installing`)',
          params: InstallationParams,
          response: { 200: Ref(PluginInstallation), ...errors(400, 401, 404) },
        },
      },
      async (request) =>
        toInstallation(
          await installs.get(actorOf(request), request.params.id, request.params.installation_id),
        ),
    );

    app.post(
      '/servers/:id/plugins',
      {
        config: { permission: 'plugin.install', audit: 'server.plugin_install' },
        schema: {
          tags: ['plugins'],
          summary: 'Install a plugin with its dependencies (or plan it with dry_run)',
          description:
            'Resolves the whole dependency graph against the server’s Minecraft version and distribution. Answers 202 with the installation `installing` and `resolved` (every version that will be placed); files are downloaded, verified against their published hash and placed atomically in the background, then the status becomes `installed` or `failed` (error `PLUGIN_HASH_MISMATCH` for a file that is not the published one: nothing is placed). With `dry_run` answers 200 with the plan and changes nothing. 409 `PLUGIN_INCOMPATIBLE`, `DEPENDENCY_CONFLICT` (details: reason, chain, conflicts), `PLUGIN_ALREADY_INSTALLED`.',
          params: IdParams,
          querystring: DryRunQuery,
          body: InstallBody,
          response: {
            200: Ref(PluginInstallResult),
            202: Ref(PluginInstallResult),
            ...errors(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const dryRun = request.body.dry_run ?? request.query.dry_run ?? false;
        const result = await installs.install(actorOf(request), request.params.id, {
          pluginId: request.body.plugin_id,
          version: request.body.version,
          configOverrides: request.body.config_overrides,
          dryRun,
        });
        void reply.status(result.accepted ? 202 : 200);
        return toInstallResult(result, dryRun);
      },
    );

    app.patch(
      '/servers/:id/plugins/:installation_id',
      {
        config: { permission: 'plugin.install', audit: 'server.plugin_update' },
        schema: {
          tags: ['plugins'],
          summary: 'Enable/disable, reconfigure or change the version of an installed plugin',
          description:
            'Disabling renames the file to `<file>.disabled` (refused with 409 `PLUGIN_HAS_DEPENDENTS` while an enabled plugin requires it); enabling also enables the required dependencies. `version` (a catalogue version or `latest`) upgrades or downgrades like an install and answers 202.',
          params: InstallationParams,
          body: InstallationPatchBody,
          response: {
            200: Ref(PluginInstallResult),
            202: Ref(PluginInstallResult),
            ...errors(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const result = await installs.update(
          actorOf(request),
          request.params.id,
          request.params.installation_id,
          { enabled: body.enabled, configOverrides: body.config_overrides, version: body.version },
        );
        void reply.status(result.accepted ? 202 : 200);
        return toInstallResult(result, false);
      },
    );

    app.delete(
      '/servers/:id/plugins/:installation_id',
      {
        config: { permission: 'plugin.install', audit: 'server.plugin_remove' },
        schema: {
          tags: ['plugins'],
          summary: 'Remove a plugin (409 PLUGIN_HAS_DEPENDENTS while an installed plugin requires it)',
          params: InstallationParams,
          querystring: RemoveQuery,
          response: { 200: RemoveResult, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        toRemoveResult(
          await installs.remove(actorOf(request), request.params.id, request.params.installation_id, {
            removeOrphans: request.query.remove_orphans,
          }),
        ),
    );
  };
}
