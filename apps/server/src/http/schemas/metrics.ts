import { Type } from '@sinclair/typebox';
import { METRIC_NAMES, METRIC_RESOLUTIONS } from '@minefleet/domain/enums';
import { Nullable, PageQuery, Pagination, Ref, StringEnum, Timestamp, Uuid } from './common.js';

const TimeParam = (description: string) =>
  Type.String({
    maxLength: 40,
    description: `${description} ISO-8601 time, or a duration back from now: 15m, 2h, 7d.`,
  });

export const MetricsQuery = Type.Object({
  names: Type.Optional(
    Type.String({
      maxLength: 300,
      description: `Comma-separated metric names (default players_online,cpu_percent,memory_bytes,tps): ${METRIC_NAMES.join(', ')}.`,
    }),
  ),
  from: Type.Optional(TimeParam('Start of the range (default 1h ago).')),
  to: Type.Optional(TimeParam('End of the range (default now).')),
  step: Type.Optional(
    Type.String({
      maxLength: 12,
      description:
        'Bucket width: seconds (60) or a duration (30s, 5m, 1h). Default: the range / 300, at least the stored resolution; widened so a series has at most 2000 points.',
    }),
  ),
});

export const MetricSeries = Type.Object(
  {
    name: StringEnum(METRIC_NAMES),
    unit: Type.String({ description: 'players, percent, bytes, ticks_per_second, milliseconds or seconds.' }),
    // A pair as a two-item array: fast-json-stringify does not serialise tuples with a nullable item.
    points: Type.Array(Type.Array(Nullable(Type.Number()), { minItems: 2, maxItems: 2 }), {
      description:
        '[bucket start in seconds since the epoch, value]: the mean (loads) or maximum (counts, sizes) of the bucket; null when the server does not report the metric.',
    }),
  },
  { $id: 'MetricSeries' },
);

export const MetricsAnswer = Type.Object({
  series: Type.Array(Ref(MetricSeries)),
  resolution: StringEnum(METRIC_RESOLUTIONS, {
    description: 'Stored resolution the points were computed from.',
  }),
  step_seconds: Type.Integer(),
});

export const PlayerSession = Type.Object(
  {
    id: Uuid,
    player_name: Type.String(),
    player_uuid: Nullable(Type.String()),
    joined_at: Timestamp,
    left_at: Nullable(Timestamp),
    duration_seconds: Type.Integer({ description: 'Until left_at, or until now for a player still online.' }),
  },
  { $id: 'PlayerSession' },
);

export const SessionsQuery = Type.Object({
  ...PageQuery,
  player: Type.Optional(
    Type.String({ maxLength: 16, description: 'Player name prefix (case-insensitive).' }),
  ),
  from: Type.Optional(TimeParam('Sessions still open at or after this time.')),
  to: Type.Optional(TimeParam('Sessions that began at or before this time.')),
  online: Type.Optional(Type.Boolean({ description: 'true: players online now; false: ended sessions.' })),
});

export const SessionList = Type.Object({
  sessions: Type.Array(Ref(PlayerSession)),
  pagination: Ref(Pagination),
});
