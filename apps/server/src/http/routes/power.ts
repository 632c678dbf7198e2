import type { FastifyPluginAsyncTypebox, Static } from '@fastify/type-provider-typebox';
import type { LifecycleService } from '@minefleet/services/lifecycle/lifecycle-service';
import { IdParams, Ref, errors } from '../schemas/common.js';
import { Server } from '../schemas/servers.js';
import {
  CommandAccepted,
  CommandBody,
  DeleteQuery,
  RestartBody,
  StartBody,
  StopBody,
} from '../schemas/power.js';
import { actorOf } from '../auth.js';
import { toServer, type ServerAddressing } from '../serializers.js';

/** The start half of a start or restart body, as the lifecycle service takes it. */
function startOptions(body: Static<typeof StartBody> | undefined) {
  return {
    warmupTimeoutSeconds: body?.warmup_timeout_seconds,
    preStartCommands: body?.pre_start_commands,
    propertyOverrides: body?.property_overrides,
  };
}

/** The stop half of a stop or restart body. */
function stopOptions(body: Static<typeof StopBody> | undefined) {
  return {
    gracefulTimeoutSeconds: body?.graceful_timeout_seconds,
    force: body?.force,
    saveWorld: body?.save_world,
    announce: body?.announce,
    postStopCommands: body?.post_stop_commands,
  };
}

/** Power actions, console commands and delete: the long ones answer 202 with the new transitional state. */
export function powerRoutes(options: {
  lifecycle: LifecycleService;
  addressing: ServerAddressing;
}): FastifyPluginAsyncTypebox {
  const { lifecycle, addressing } = options;
  const accepted = { 202: Ref(Server), ...errors(400, 401, 403, 404, 409) };
  return async (app) => {
    app.post(
      '/servers/:id/start',
      {
        config: { permission: 'control.start', audit: 'server.start' },
        schema: {
          tags: ['power'],
          summary: 'Start the server',
          description:
            'The server is `running` once it answers the Minecraft server-list ping; `failed` if the warm-up time runs out.',
          params: IdParams,
          body: StartBody,
          response: accepted,
        },
      },
      async (request, reply) => {
        const server = await lifecycle.start(actorOf(request), request.params.id, startOptions(request.body));
        void reply.status(202);
        return toServer(server, await addressing.view([server]));
      },
    );

    app.post(
      '/servers/:id/stop',
      {
        config: { permission: 'control.stop', audit: 'server.stop' },
        schema: {
          tags: ['power'],
          summary: 'Stop the server gracefully (warn, save, stop, kill after the timeout)',
          params: IdParams,
          body: StopBody,
          response: accepted,
        },
      },
      async (request, reply) => {
        const server = await lifecycle.stop(actorOf(request), request.params.id, stopOptions(request.body));
        void reply.status(202);
        return toServer(server, await addressing.view([server]));
      },
    );

    app.post(
      '/servers/:id/restart',
      {
        config: { permission: 'control.restart', audit: 'server.restart' },
        schema: {
          tags: ['power'],
          summary: 'Stop gracefully, then start',
          params: IdParams,
          body: RestartBody,
          response: accepted,
        },
      },
      async (request, reply) => {
        const server = await lifecycle.restart(actorOf(request), request.params.id, {
          ...stopOptions(request.body),
          ...startOptions(request.body),
        });
        void reply.status(202);
        return toServer(server, await addressing.view([server]));
      },
    );

    app.post(
      '/servers/:id/kill',
      {
        config: { permission: 'control.stop', audit: 'server.kill' },
        schema: {
          tags: ['power'],
          summary: 'Kill the server process at once (unsaved world changes are lost)',
          params: IdParams,
          response: accepted,
        },
      },
      async (request, reply) => {
        const server = await lifecycle.kill(actorOf(request), request.params.id);
        void reply.status(202);
        return toServer(server, await addressing.view([server]));
      },
    );

    app.post(
      '/servers/:id/commands',
      {
        config: { permission: 'control.console', audit: 'server.command' },
        schema: {
          tags: ['console'],
          summary: 'Send a command to the server console',
          description: 'Its output arrives on the console stream and in the logs.',
          params: IdParams,
          body: CommandBody,
          response: { 202: CommandAccepted, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await lifecycle.sendCommand(actorOf(request), request.params.id, request.body.command);
        void reply.status(202);
        return { accepted: true as const };
      },
    );

    app.delete(
      '/servers/:id',
      {
        config: { permission: 'server.delete', audit: 'server.delete' },
        schema: {
          tags: ['servers'],
          summary: 'Delete the server',
          description:
            'Without `force`, players are warned and the world is saved before the stop. `keep_backups` takes a final backup and keeps the backups restorable.',
          params: IdParams,
          querystring: DeleteQuery,
          response: accepted,
        },
      },
      async (request, reply) => {
        const server = await lifecycle.delete(actorOf(request), request.params.id, {
          force: request.query.force,
          keepBackups: request.query.keep_backups,
        });
        void reply.status(202);
        return toServer(server, await addressing.view([server]));
      },
    );
  };
}
