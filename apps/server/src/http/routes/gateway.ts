import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { GatewaySettingsService } from '@minefleet/services/gateway/gateway-settings';
import { Accepted, IdParams, Ref, errors } from '../schemas/common.js';
import { GatewaySettings, GatewaySettingsPatch, WakeList } from '../schemas/gateway.js';
import { actorOf } from '../auth.js';

/** The gateway of one server: hostnames, sleep settings, wake history and waking it (docs/gateway.md). */
export function gatewayRoutes(options: { settings: GatewaySettingsService }): FastifyPluginAsyncTypebox {
  const { settings } = options;
  return async (app) => {
    app.get(
      '/servers/:id/gateway',
      {
        config: { permission: 'server.read' },
        schema: {
          tags: ['gateway'],
          summary: "The server's hostnames, sleep settings and the running time sleep saved",
          params: IdParams,
          response: { 200: Ref(GatewaySettings), ...errors(400, 401, 404) },
        },
      },
      async (request) => settings.get(actorOf(request), request.params.id),
    );

    app.patch(
      '/servers/:id/gateway',
      {
        config: { permission: 'gateway.update', audit: 'server.gateway.update' },
        schema: {
          tags: ['gateway'],
          summary: 'Change hostnames and sleep settings',
          description:
            'A hostname another server holds answers 409 HOSTNAME_TAKEN; one that is not a DNS name, or lies under the platform game domain, 400 INVALID_HOSTNAME. The gateway routes the new names at once.',
          params: IdParams,
          body: GatewaySettingsPatch,
          response: { 200: Ref(GatewaySettings), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => settings.update(actorOf(request), request.params.id, request.body),
    );

    app.get(
      '/servers/:id/wakes',
      {
        config: { permission: 'server.read' },
        schema: {
          tags: ['gateway'],
          summary: 'Recent wakes of the server, newest first',
          params: IdParams,
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
          response: { 200: WakeList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const rows = await settings.wakes(actorOf(request), request.params.id, request.query.limit ?? 20);
        return {
          wakes: rows.map((w) => ({
            id: w.id,
            at: w.at.toISOString(),
            player: w.player,
            from_status: w.fromStatus,
            outcome: w.outcome,
            duration_ms: w.durationMs,
            asleep_ms: w.asleepMs,
            message: w.message,
          })),
        };
      },
    );

    app.post(
      '/servers/:id/wake',
      {
        config: { permission: 'control.start', audit: 'server.wake' },
        schema: {
          tags: ['gateway'],
          summary: 'Wake a sleeping or frozen server now',
          params: IdParams,
          response: { 202: Accepted, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await settings.wake(actorOf(request), request.params.id);
        void reply.status(202);
        return { accepted: true as const };
      },
    );
  };
}
