import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SERVER_PROPERTIES, type PropertySpec } from '@minefleet/domain/server-properties';
import type { ConfigManager, ConfigResult, RevisionRecord } from '@minefleet/services/config-manager';
import { IdParams, PageQuery, errors } from '../schemas/common.js';
import {
  ConfigPatchBody,
  ConfigResult as ConfigResultSchema,
  RevisionList,
  RevisionParams,
} from '../schemas/power.js';
import { actorOf } from '../auth.js';
import { toServer, type ServerAddressing } from '../serializers.js';

const PropertyCatalogue = Type.Object({
  properties: Type.Array(
    Type.Object({
      key: Type.String(),
      type: Type.String(),
      default: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
      description: Type.String(),
      applies: Type.Union([Type.Literal('live'), Type.Literal('on_restart')]),
      min: Type.Optional(Type.Number()),
      max: Type.Optional(Type.Number()),
      max_length: Type.Optional(Type.Integer()),
      pattern: Type.Optional(Type.String()),
      values: Type.Optional(Type.Array(Type.String())),
    }),
  ),
});

function describeProperty(key: string, spec: PropertySpec) {
  return {
    key,
    type: spec.type,
    default: spec.default,
    description: spec.description,
    applies: spec.live ? ('live' as const) : ('on_restart' as const),
    ...(spec.type === 'integer' ? { min: spec.min, max: spec.max } : {}),
    ...(spec.type === 'string'
      ? { max_length: spec.maxLength, ...(spec.pattern ? { pattern: spec.pattern } : {}) }
      : {}),
    ...(spec.type === 'enum' ? { values: [...spec.values] } : {}),
  };
}

function toRevision(r: RevisionRecord) {
  return {
    revision: r.revision,
    created_at: r.createdAt.toISOString(),
    actor_user_id: r.actorUserId,
    rollback_of: r.rollbackOf,
    changes: r.changes,
    snapshot: r.snapshot as {
      name: string;
      max_players: number;
      server_properties: Record<string, string | number | boolean>;
    },
  };
}

export function configRoutes(options: {
  config: ConfigManager;
  addressing: ServerAddressing;
}): FastifyPluginAsyncTypebox {
  const { config, addressing } = options;
  const answer = async (r: ConfigResult) => ({
    server: toServer(r.server, await addressing.view([r.server])),
    revision: r.revision,
    applied: r.applied,
    changes: r.changes,
  });
  return async (app) => {
    app.get(
      '/server-properties',
      {
        config: { permission: 'settings.read' },
        schema: {
          tags: ['config'],
          summary: 'The server.properties keys a user may set: type, range, default, live or on restart',
          response: { 200: PropertyCatalogue, ...errors(401) },
        },
      },
      async () => ({
        properties: Object.entries(SERVER_PROPERTIES).map(([key, spec]) =>
          describeProperty(key, spec as PropertySpec),
        ),
      }),
    );

    for (const method of ['PATCH', 'PUT'] as const) {
      app.route({
        method,
        url: '/servers/:id',
        config: { permission: 'settings.update', audit: 'server.configure' },
        schema: {
          tags: ['config'],
          summary:
            method === 'PATCH' ? 'Change settings (a new numbered revision)' : 'Same as PATCH (partial)',
          description:
            'Unknown keys or wrong types answer 400 INVALID_PROPERTY. `applied` says whether every change took effect live or needs a restart.',
          params: IdParams,
          body: ConfigPatchBody,
          response: { 200: ConfigResultSchema, ...errors(400, 401, 403, 404, 409) },
        },
        handler: async (request) => {
          const body = request.body;
          return answer(
            await config.update(actorOf(request), request.params.id, {
              name: body.name,
              maxPlayers: body.max_players,
              serverProperties: body.server_properties,
            }),
          );
        },
      });
    }

    app.get(
      '/servers/:id/config/revisions',
      {
        config: { permission: 'settings.read' },
        schema: {
          tags: ['config'],
          summary: 'Configuration revisions, newest first, with who changed what',
          params: IdParams,
          querystring: Type.Object(PageQuery),
          response: { 200: RevisionList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const page = { page: request.query.page ?? 1, perPage: request.query.per_page ?? 20 };
        const result = await config.revisions(actorOf(request), request.params.id, page);
        return {
          revisions: result.items.map(toRevision),
          pagination: { page: page.page, per_page: page.perPage, total: result.total },
        };
      },
    );

    app.post(
      '/servers/:id/config/revisions/:n/rollback',
      {
        config: { permission: 'settings.update', audit: 'server.config_rollback' },
        schema: {
          tags: ['config'],
          summary: 'Restore the settings of an earlier revision (recorded as a new revision)',
          params: RevisionParams,
          response: { 200: ConfigResultSchema, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => answer(await config.rollback(actorOf(request), request.params.id, request.params.n)),
    );
  };
}
