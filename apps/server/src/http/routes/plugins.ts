import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PluginCatalogueService } from '@minefleet/services/plugins/catalogue-service';
import { Ref, errors } from '../schemas/common.js';
import {
  ApprovalBody,
  Plugin,
  PluginList,
  PluginParams,
  PluginSearchQuery,
  PluginVersion,
  PluginVersionParams,
  SyncBody,
  SyncResult,
} from '../schemas/plugins.js';
import { actorOf } from '../auth.js';
import { toPlugin, toPluginSummary, toPluginVersion } from '../plugin-serializers.js';

/** The plugin catalogue: search and details for every member; sync and approval for platform admins. */
export function pluginCatalogueRoutes(options: {
  catalogue: PluginCatalogueService;
}): FastifyPluginAsyncTypebox {
  const { catalogue } = options;
  return async (app) => {
    app.get(
      '/plugins',
      {
        config: { permission: 'plugin.read' },
        schema: {
          tags: ['plugins'],
          summary: 'Search the plugin catalogue',
          description:
            'Filters match versions: a plugin is listed when one of its versions (approved ones unless `approval` says otherwise) fits the Minecraft version and distribution.',
          querystring: PluginSearchQuery,
          response: { 200: PluginList, ...errors(400, 401) },
        },
      },
      async (request) => {
        const q = request.query;
        const page = { page: q.page ?? 1, perPage: q.per_page ?? 20 };
        const result = await catalogue.search(actorOf(request), {
          ...page,
          q: q.q,
          category: q.category,
          minecraftVersion: q.minecraft_version,
          distribution: q.distribution,
          approval: q.approval,
        });
        return {
          plugins: result.items.map(toPluginSummary),
          pagination: { page: page.page, per_page: page.perPage, total: result.total },
        };
      },
    );

    app.get(
      '/plugins/:id',
      {
        config: { permission: 'plugin.read' },
        schema: {
          tags: ['plugins'],
          summary: 'One plugin with every version, its compatibility, dependencies, hashes and approval',
          params: PluginParams,
          response: { 200: Ref(Plugin), ...errors(400, 401, 404) },
        },
      },
      async (request) => toPlugin(await catalogue.get(actorOf(request), request.params.id)),
    );

    app.post(
      '/plugins/sync',
      {
        config: { permission: 'account', audit: 'plugin.sync' },
        schema: {
          tags: ['plugins'],
          summary: 'Sync the catalogue from the plugin sources now (platform administrators)',
          description:
            'Without `plugin_ids`, reads each source’s most popular plugins (or those matching `q`) plus the plugins already in the catalogue. New versions from untrusted sources start `pending`.',
          body: SyncBody,
          response: { 200: SyncResult, ...errors(400, 401, 403, 502) },
        },
      },
      async (request) => {
        const body = request.body;
        return {
          sources: await catalogue.sync(actorOf(request), {
            sources: body.sources,
            pluginIds: body.plugin_ids,
            q: body.q,
            limit: body.limit,
          }),
        };
      },
    );

    app.post(
      '/plugins/:id/versions/:version/approval',
      {
        config: { permission: 'account', audit: 'plugin.approval' },
        schema: {
          tags: ['plugins'],
          summary: 'Approve or reject a plugin version (platform administrators)',
          description: 'Only approved versions are installed; `pending` sends a version back to review.',
          params: PluginVersionParams,
          body: ApprovalBody,
          response: { 200: Ref(PluginVersion), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) =>
        toPluginVersion(
          await catalogue.setApproval(
            actorOf(request),
            request.params.id,
            request.params.version,
            request.body.approval,
          ),
        ),
    );
  };
}
