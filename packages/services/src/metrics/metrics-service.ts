import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import { METRIC_NAMES, type MetricName, type MetricResolution } from '@minefleet/domain/enums';
import { scopeOf, type Actor } from '../actor.js';
import {
  bucketize,
  METRIC_AGGREGATION,
  METRIC_UNITS,
  planQuery,
  type MetricsRetention,
} from './metrics-query.js';
import type { MetricsStore } from './metrics-store.js';
import type { PlayerSessionRecord, PlayerSessions, SessionQuery } from './player-sessions.js';

export interface SeriesRequest {
  names: MetricName[];
  from: Date;
  to: Date;
  stepSeconds?: number | undefined;
}

export interface Series {
  name: MetricName;
  unit: string;
  points: [number, number | null][];
}

export interface SeriesAnswer {
  series: Series[];
  resolution: MetricResolution;
  stepSeconds: number;
}

/** Longest range one query may span (the longest retention there is). */
const MAX_RANGE_MS = 400 * 86_400_000;

/** Metrics history and player sessions of one server, for the API (viewers and up, own tenant only). */
export class MetricsService {
  constructor(
    private readonly deps: {
      store: MetricsStore;
      sessions: PlayerSessions;
      clock: Clock;
      /** Throws SERVER_NOT_FOUND (another tenant's server too) or INVALID_ID. */
      authorize: (actor: Actor, serverId: string) => Promise<unknown>;
      rawIntervalSeconds: number;
      retention: MetricsRetention;
    },
  ) {}

  async series(actor: Actor, serverId: string, request: SeriesRequest): Promise<SeriesAnswer> {
    await this.deps.authorize(actor, serverId);
    const from = request.from.getTime();
    const to = request.to.getTime();
    if (!(to > from)) throw new DomainError('INVALID_TIME', '`to` must be after `from`.', { field: 'to' });
    if (to - from > MAX_RANGE_MS) {
      throw new DomainError('INVALID_TIME', 'A range spans at most 400 days.', { field: 'from' });
    }
    const names = [...new Set(request.names)];
    const unknown = names.filter((n) => !(METRIC_NAMES as readonly string[]).includes(n));
    if (unknown.length > 0 || names.length === 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `Unknown metric names: ${unknown.join(', ') || '(none given)'}.`,
        {
          field: 'names',
          allowed: METRIC_NAMES,
        },
      );
    }
    const plan = planQuery({
      from,
      to,
      now: this.deps.clock.now(),
      stepSeconds: request.stepSeconds,
      rawIntervalSeconds: this.deps.rawIntervalSeconds,
      retention: this.deps.retention,
    });
    const rows = await this.deps.store.read(scopeOf(actor), {
      serverId,
      resolution: plan.resolution,
      from: request.from,
      to: request.to,
      names,
    });
    return {
      resolution: plan.resolution,
      stepSeconds: plan.stepSeconds,
      series: names.map((name) => ({
        name,
        unit: METRIC_UNITS[name],
        points: bucketize(
          rows.map((r) => ({ ts: r.ts.getTime(), value: r.values[name] ?? null })),
          plan.stepSeconds,
          METRIC_AGGREGATION[name],
        ),
      })),
    };
  }

  async sessions(
    actor: Actor,
    query: SessionQuery,
  ): Promise<{ items: PlayerSessionRecord[]; total: number }> {
    await this.deps.authorize(actor, query.serverId);
    return this.deps.sessions.list(scopeOf(actor), query);
  }
}
