import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '@minefleet/domain/errors';
import { SERVER_STATUSES, type ServerStatus } from '@minefleet/domain/server-state';
import type { ServerService } from '@minefleet/services/servers';
import { ServerPages } from '@minefleet/services/server-pages';
import { IdParams, Ref, errors } from '../schemas/common.js';
import { CreateServerBody, Server, ServerList, ServerListQuery } from '../schemas/servers.js';
import type { Actor } from '@minefleet/services/actor';
import { actorOf } from '../auth.js';
import { LogLine } from '../schemas/power.js';
import { Backup } from '../schemas/backups.js';
import { PluginInstallation } from '../schemas/plugins.js';
import { toServer, type ServerAddressing } from '../serializers.js';

export const INCLUDES = ['performance', 'logs', 'backups', 'plugins'] as const;
export type IncludeName = (typeof INCLUDES)[number];

/** What `GET /servers/{id}?include=` can add; each answers in its own route's JSON shape. */
export type ServerIncludes = Record<IncludeName, (actor: Actor, serverId: string) => Promise<unknown>>;

function parseIncludes(raw: string | undefined): IncludeName[] {
  if (!raw) return [];
  const names = [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const bad = names.filter((n) => !(INCLUDES as readonly string[]).includes(n));
  if (bad.length > 0) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `Unknown include ${bad.join(', ')}; use ${INCLUDES.join(', ')}.`,
      {
        field: 'include',
      },
    );
  }
  return names as IncludeName[];
}

const ServerWithIncludes = Type.Composite([
  Server,
  Type.Object({
    performance: Type.Optional(
      Type.Union([
        Type.Object({
          ts: Type.String({ format: 'date-time' }),
          players_online: Type.Union([Type.Integer(), Type.Null()]),
          max_players: Type.Union([Type.Integer(), Type.Null()]),
          cpu_percent: Type.Union([Type.Number(), Type.Null()]),
          memory_bytes: Type.Union([Type.Integer(), Type.Null()]),
          disk_bytes: Type.Union([Type.Integer(), Type.Null()]),
          tps: Type.Union([Type.Number(), Type.Null()]),
          mspt: Type.Union([Type.Number(), Type.Null()]),
          ping_ms: Type.Union([Type.Number(), Type.Null()]),
          uptime_seconds: Type.Union([Type.Integer(), Type.Null()]),
        }),
        Type.Null(),
      ]),
    ),
    logs: Type.Optional(Type.Array(Ref(LogLine))),
    backups: Type.Optional(Type.Array(Ref(Backup))),
    plugins: Type.Optional(Type.Array(Ref(PluginInstallation))),
  }),
]);

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
  addressing: ServerAddressing;
  includes: ServerIncludes;
  /**
   * Serialised list pages kept between writes (server-pages.ts): `announced` where this process is told
   * of every write (the embedded database), `versioned` where each read checks the tenant's server list
   * version (PostgreSQL).
   */
  pages?: { store: ServerPages; by: 'announced' | 'versioned' } | undefined;
}): FastifyPluginAsyncTypebox {
  const { servers, addressing, includes, pages } = options;
  return async (app) => {
    app.post(
      '/servers',
      {
        config: { permission: 'server.create', audit: 'server.create' },
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
          region: body.region,
        });
        void reply.status(202);
        return toServer(server, await addressing.view([server]));
      },
    );

    app.get(
      '/servers',
      {
        config: { permission: 'server.read' },
        schema: {
          tags: ['servers'],
          summary: "The tenant's servers",
          querystring: ServerListQuery,
          response: { 200: ServerList, ...errors(400, 401) },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const page = { page: q.page ?? 1, perPage: q.per_page ?? 20 };
        const actor = actorOf(request);
        const status = parseStatuses(q.status);
        const read = async (withVersion = false) => {
          const result = await servers.list(actor, { ...page, status, q: q.q, withVersion });
          const view = await addressing.view(result.items);
          const answer = {
            servers: result.items.map((s) => toServer(s, view)),
            pagination: { page: page.page, per_page: page.perPage, total: result.total },
          };
          return { answer, version: result.version };
        };
        if (!pages) return (await read()).answer;
        // The page as this route's schema serialises it, kept until a write to the tenant's servers.
        const { store, by } = pages;
        const key = ServerPages.key(
          actor.tenantId,
          actor.userId,
          JSON.stringify([page.page, page.perPage, status ?? [], q.q ?? '']),
        );
        // A string with a JSON content type is sent as it is (no second serialization).
        const send = (body: string) => reply.type('application/json; charset=utf-8').send(body as never);
        if (by === 'versioned') {
          const known = store.versioned(key);
          if (known && (await servers.listVersion(actor)) === known.version) return send(known.body);
          const { answer, version } = await read(true);
          // Fastify's schema serializer for this route and status: the same bytes an uncached answer has.
          const body = reply.serialize(answer) as string;
          if (version !== undefined) store.rememberAt(actor.tenantId, key, body, version);
          return send(body);
        }
        let body = store.get(key);
        if (body === undefined) {
          const seen = store.seen();
          body = reply.serialize((await read()).answer) as string;
          store.remember(actor.tenantId, key, body, seen);
        }
        return send(body);
      },
    );

    app.get(
      '/servers/:id',
      {
        config: { permission: 'server.read' },
        schema: {
          tags: ['servers'],
          summary: 'One server, with what `include` asks for',
          description:
            '`include=performance,logs,backups,plugins` adds the newest metrics sample, the last 50 console lines (operators), the 10 newest backups and the installed plugins.',
          params: IdParams,
          querystring: Type.Object({
            include: Type.Optional(
              Type.String({
                maxLength: 100,
                description: 'Comma-separated: performance, logs, backups, plugins.',
              }),
            ),
          }),
          response: { 200: ServerWithIncludes, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        const wanted = parseIncludes(request.query.include);
        const record = await servers.get(actor, request.params.id);
        const server = toServer(record, await addressing.view([record]));
        const extra: Record<string, unknown> = {};
        for (const name of wanted) extra[name] = await includes[name](actor, request.params.id);
        return { ...server, ...extra };
      },
    );
  };
}
