import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BoundedQueue } from '@minefleet/domain/bounded-queue';
import type { PlatformEvent } from '@minefleet/domain/ports/event-bus';
import type { Clock } from '@minefleet/domain/clock';
import type { ConsoleService } from '@minefleet/services/console';
import { IdParams, errors } from '../schemas/common.js';
import { LogList, LogsQuery } from '../schemas/power.js';
import { actorOf, bearerToken } from '../auth.js';
import type { ConsoleStreamGuard } from '../console-stream-guard.js';
import { parseTimestamp } from '../time.js';

/** Lines a slow stream reader may fall behind by before the oldest are dropped. */
const STREAM_QUEUE = 1000;
const HEARTBEAT_MS = 15_000;

export function consoleRoutes(options: {
  console: ConsoleService;
  clock: Clock;
  /** Re-checks open streams' callers and caps streams per user. */
  streams: ConsoleStreamGuard;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/servers/:id/logs',
      {
        config: { permission: 'console.read' },
        schema: {
          tags: ['console'],
          summary: 'Captured console output, filtered and paginated (oldest first within a page)',
          params: IdParams,
          querystring: LogsQuery,
          response: { 200: LogList, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const q = request.query;
        const now = options.clock.now();
        const page = { page: q.page ?? 1, perPage: q.per_page ?? 100 };
        const result = await options.console.logs(actorOf(request), request.params.id, {
          ...page,
          ...(q.level ? { level: q.level } : {}),
          ...(q.since ? { since: parseTimestamp(q.since, 'since', now) } : {}),
          ...(q.until ? { until: parseTimestamp(q.until, 'until', now) } : {}),
          ...(q.q ? { q: q.q } : {}),
          ...(q.tail ? { tail: q.tail } : {}),
        });
        return {
          logs: result.lines.map((l) => ({
            ts: l.ts.toISOString(),
            level: l.level,
            source: l.source,
            message: l.message,
          })),
          pagination: { page: page.page, per_page: page.perPage, total: result.total },
        };
      },
    );

    app.get(
      '/servers/:id/console/stream',
      {
        config: { permission: 'console.read' },
        schema: {
          tags: ['console'],
          summary: 'Live console lines and status changes (Server-Sent Events)',
          description:
            "Each event is `event: console|status` with a JSON `data` line. A reader that falls behind loses the oldest lines (an `event: dropped` says how many). The caller is checked again while the stream is open: a revoked token, a removed member or a role below operator ends it with an `event: error` (`{code, message}`), as does the token's expiry. A user holds at most MINEFLEET_CONSOLE_STREAMS_PER_USER streams (429 STREAM_LIMIT). The dashboard uses the WebSocket instead.",
          params: IdParams,
          response: {
            200: Type.String({ description: 'text/event-stream' }),
            ...errors(400, 401, 403, 404, 429),
          },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const queue = new BoundedQueue<PlatformEvent>(STREAM_QUEUE);
        let refusal: { code: string; message: string } | undefined;
        const release = options.streams.admit(
          actor,
          bearerToken(request.headers.authorization) ?? '',
          (code, message) => {
            refusal = { code, message };
            queue.close();
          },
        );
        let subscription;
        try {
          subscription = await options.console.stream(actor, request.params.id, (event) => {
            queue.push(event);
          });
        } catch (error) {
          release();
          throw error;
        }
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-request-id': request.id,
          'x-accel-buffering': 'no',
        });
        raw.write(': connected\n\n');
        const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
        const finish = () => {
          release();
          clearInterval(heartbeat);
          queue.close({ discard: true });
          void subscription.unsubscribe();
        };
        request.raw.on('close', finish);
        for await (const event of queue) {
          const dropped = queue.takeDropped();
          if (dropped > 0) raw.write(`event: dropped\ndata: ${JSON.stringify({ count: dropped })}\n\n`);
          const data = { type: event.type, server_id: event.serverId, ts: event.ts, data: event.data };
          // Wait for the socket to drain, so a slow reader backs up into its own bounded queue only.
          if (!raw.write(`event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`)) {
            await new Promise<void>((resolve) => raw.once('drain', resolve).once('close', resolve));
          }
          if (raw.destroyed) break;
        }
        if (refusal && !raw.destroyed) raw.write(`event: error\ndata: ${JSON.stringify(refusal)}\n\n`);
        finish();
        raw.end();
      },
    );
  };
}
