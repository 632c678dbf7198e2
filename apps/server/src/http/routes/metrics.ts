import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Clock } from '@minefleet/domain/clock';
import { DomainError } from '@minefleet/domain/errors';
import type { MetricName } from '@minefleet/domain/enums';
import { parseStep } from '@minefleet/services/metrics/metrics-query';
import type { MetricsService } from '@minefleet/services/metrics/metrics-service';
import { IdParams, errors } from '../schemas/common.js';
import { MetricsAnswer, MetricsQuery, SessionList, SessionsQuery } from '../schemas/metrics.js';
import { actorOf } from '../auth.js';
import { parseTimestamp } from '../time.js';

const DEFAULT_NAMES: MetricName[] = ['players_online', 'cpu_percent', 'memory_bytes', 'tps'];

/** Metrics history and player sessions of a server (viewers and up). */
export function metricsRoutes(options: { metrics: MetricsService; clock: Clock }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/servers/:id/metrics',
      {
        config: { permission: 'server.read' },
        schema: {
          tags: ['metrics'],
          summary: 'Metrics history of the server, as time series',
          description:
            'Raw samples (every MINEFLEET_METRICS_INTERVAL_SECONDS) are kept 24 h, 1-minute rows 7 days, 1-hour rows 90 days (configurable); the finest resolution that covers `from` and fits `step` is used. Points are `[epoch seconds, value]`, one per bucket that has samples.',
          params: IdParams,
          querystring: MetricsQuery,
          response: { 200: MetricsAnswer, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const q = request.query;
        const now = options.clock.now();
        const to = q.to ? parseTimestamp(q.to, 'to', now) : new Date(now);
        const from = q.from ? parseTimestamp(q.from, 'from', now) : new Date(to.getTime() - 3_600_000);
        let stepSeconds: number | undefined;
        if (q.step) {
          const parsed = parseStep(q.step);
          if (parsed === null) {
            throw new DomainError('VALIDATION_FAILED', 'step is seconds (60) or a duration (30s, 5m, 1h).', {
              field: 'step',
            });
          }
          stepSeconds = parsed;
        }
        const names = q.names
          ? (q.names
              .split(',')
              .map((n) => n.trim())
              .filter(Boolean) as MetricName[])
          : DEFAULT_NAMES;
        const answer = await options.metrics.series(actorOf(request), request.params.id, {
          names,
          from,
          to,
          stepSeconds,
        });
        return { series: answer.series, resolution: answer.resolution, step_seconds: answer.stepSeconds };
      },
    );

    app.get(
      '/servers/:id/players/sessions',
      {
        config: { permission: 'server.read' },
        schema: {
          tags: ['metrics'],
          summary: 'Player sessions of the server (join and leave times), newest first',
          description:
            'Recorded from the console lines the server prints when a player joins or leaves. A session left open (a missed line) is closed when the server reports no players or stops.',
          params: IdParams,
          querystring: SessionsQuery,
          response: { 200: SessionList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const q = request.query;
        const now = options.clock.now();
        const page = { page: q.page ?? 1, perPage: q.per_page ?? 20 };
        const result = await options.metrics.sessions(actorOf(request), {
          serverId: request.params.id,
          ...page,
          player: q.player,
          from: q.from ? parseTimestamp(q.from, 'from', now) : undefined,
          to: q.to ? parseTimestamp(q.to, 'to', now) : undefined,
          online: q.online,
        });
        return {
          sessions: result.items.map((s) => ({
            id: s.id,
            player_name: s.playerName,
            player_uuid: s.playerUuid,
            joined_at: s.joinedAt.toISOString(),
            left_at: s.leftAt ? s.leftAt.toISOString() : null,
            duration_seconds: Math.max(
              0,
              Math.round(((s.leftAt?.getTime() ?? now) - s.joinedAt.getTime()) / 1000),
            ),
          })),
          pagination: { page: page.page, per_page: page.perPage, total: result.total },
        };
      },
    );
  };
}
