import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '@minefleet/domain/errors';
import { SERVER_STATUSES, type ServerStatus } from '@minefleet/domain/server-state';
import type { ServerService } from '@minefleet/services/servers';
import { IdParams, Ref, errors } from '../schemas/common.js';
import { CreateServerBody, Server, ServerList, ServerListQuery } from '../schemas/servers.js';
import { actorOf } from '../auth.js';
import { toServer } from '../serializers.js';

function parseStatuses(raw: string | undefined): ServerStatus[] | undefined {
  if (!raw) return undefined;
  const values = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = values.filter((v) => !(SERVER_STATUSES as readonly string[]).includes(v));
  if (bad.length > 0) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `Unknown status ${bad.join(', ')}; use ${SERVER_STATUSES.join(', ')}.`,
      {
        field: 'status',
      },
    );
  }
  return values as ServerStatus[];
}

export function serverRoutes(options: {
  servers: ServerService;
  gameHost: string;
}): FastifyPluginAsyncTypebox {
  const { servers, gameHost } = options;
  return async (app) => {
    app.post(
      '/servers',
      {
        config: { access: 'admin', audit: 'server.create' },
        schema: {
          tags: ['servers'],
          summary: 'Create a server from a plan',
          description:
            'Answers 202 with the server in `deploying`; it becomes `stopped` (or `running` with `start: true`) as the runtime reports.',
          body: CreateServerBody,
          response: { 202: Ref(Server), ...errors(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const server = await servers.create(actorOf(request), {
          name: body.name,
          skuId: body.sku_id,
          minecraftVersion: body.minecraft_version,
          distribution: body.distribution,
          serverProperties: body.server_properties,
          maxPlayers: body.max_players,
          start: body.start,
        });
        void reply.status(202);
        return toServer(server, gameHost);
      },
    );

    app.get(
      '/servers',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['servers'],
          summary: "The tenant's servers",
          querystring: ServerListQuery,
          response: { 200: ServerList, ...errors(400, 401) },
        },
      },
      async (request) => {
        const q = request.query;
        const page = { page: q.page ?? 1, perPage: q.per_page ?? 20 };
        const result = await servers.list(actorOf(request), {
          ...page,
          status: parseStatuses(q.status),
          q: q.q,
        });
        return {
          servers: result.items.map((s) => toServer(s, gameHost)),
          pagination: { page: page.page, per_page: page.perPage, total: result.total },
        };
      },
    );

    app.get(
      '/servers/:id',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['servers'],
          summary: 'One server',
          params: IdParams,
          querystring: Type.Object({
            include: Type.Optional(
              Type.String({
                maxLength: 100,
                description: 'Comma-separated: performance, logs, backups, plugins.',
              }),
            ),
          }),
          response: { 200: Ref(Server), ...errors(400, 401, 404) },
        },
      },
      async (request) => toServer(await servers.get(actorOf(request), request.params.id), gameHost),
    );
  };
}
