import type { MetricName, MetricResolution } from '@minefleet/domain/enums';

/** How long each resolution is kept (the retention job deletes older rows). */
export interface MetricsRetention {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
}

export const DEFAULT_RETENTION: MetricsRetention = {
  rawMs: 24 * 3_600_000,
  minuteMs: 7 * 86_400_000,
  hourMs: 90 * 86_400_000,
};

/** A series never has more points than this; a smaller step is widened to fit. */
export const MAX_POINTS = 2_000;
/** Points aimed at when no step is given (a chart's width). */
const DEFAULT_POINTS = 300;

export const METRIC_UNITS: Record<MetricName, string> = {
  players_online: 'players',
  max_players: 'players',
  cpu_percent: 'percent',
  memory_bytes: 'bytes',
  disk_bytes: 'bytes',
  tps: 'ticks_per_second',
  mspt: 'milliseconds',
  ping_ms: 'milliseconds',
  uptime_seconds: 'seconds',
};

/**
 * How several samples of one bucket become one value: gauges of capacity and counts take the maximum
 * (a player who was online for 20 s of a minute shows up in that minute), rates and loads the mean.
 * The same rule downsamples raw rows to 1-minute and 1-hour rows.
 */
export const METRIC_AGGREGATION: Record<MetricName, 'max' | 'avg'> = {
  players_online: 'max',
  max_players: 'max',
  cpu_percent: 'avg',
  memory_bytes: 'avg',
  disk_bytes: 'max',
  tps: 'avg',
  mspt: 'avg',
  ping_ms: 'avg',
  uptime_seconds: 'max',
};

export interface QueryPlan {
  resolution: MetricResolution;
  /** Bucket width of the answer, in seconds. */
  stepSeconds: number;
}

/**
 * Picks the stored resolution and the bucket width for a range: the finest resolution whose retention
 * still covers `from` and whose own bucket is no wider than the step asked (raw ≈ the sampling interval,
 * 1m, 1h), and a step that keeps the series within MAX_POINTS.
 */
export function planQuery(options: {
  from: number;
  to: number;
  now: number;
  stepSeconds?: number | undefined;
  rawIntervalSeconds: number;
  retention: MetricsRetention;
}): QueryPlan {
  const { from, to, now, retention } = options;
  const rangeSeconds = Math.max(1, (to - from) / 1000);
  // "The last 7 days" asked a moment ago is still the 1-minute rows' range: allow 1% of slack.
  const covers = (retentionMs: number) => from >= now - retentionMs * 1.01;
  const candidates: { resolution: MetricResolution; bucket: number; covers: boolean }[] = [
    { resolution: 'raw', bucket: options.rawIntervalSeconds, covers: covers(retention.rawMs) },
    { resolution: '1m', bucket: 60, covers: covers(retention.minuteMs) },
    { resolution: '1h', bucket: 3600, covers: true },
  ];
  const eligible = candidates.filter((c) => c.covers);
  let step = options.stepSeconds ?? Math.max(eligible[0]!.bucket, Math.ceil(rangeSeconds / DEFAULT_POINTS));
  step = Math.max(step, Math.ceil(rangeSeconds / MAX_POINTS), 1);
  // The coarsest eligible resolution that is still at least as fine as the step (fewest rows to read).
  const fitting = eligible.filter((c) => c.bucket <= step);
  const chosen = fitting.length > 0 ? fitting[fitting.length - 1]! : eligible[0]!;
  return { resolution: chosen.resolution, stepSeconds: Math.round(step) };
}

/** One stored row reduced to what bucketing needs: its time (ms) and the value of one metric. */
export interface TimedValue {
  ts: number;
  value: number | null;
}

/**
 * Buckets aligned to multiples of the step since the epoch, each `[bucket start in epoch seconds,
 * value]`; a bucket with rows whose values are all null is `[t, null]` (the metric is not reported, e.g.
 * TPS of a Java server), a bucket without rows is left out (no sample: the server was not running).
 */
export function bucketize(
  rows: readonly TimedValue[],
  stepSeconds: number,
  aggregation: 'max' | 'avg',
): [number, number | null][] {
  const stepMs = stepSeconds * 1000;
  const buckets = new Map<number, { sum: number; count: number; max: number }>();
  const order: number[] = [];
  for (const row of rows) {
    const start = Math.floor(row.ts / stepMs) * stepSeconds;
    let bucket = buckets.get(start);
    if (!bucket) {
      bucket = { sum: 0, count: 0, max: Number.NEGATIVE_INFINITY };
      buckets.set(start, bucket);
      order.push(start);
    }
    if (row.value === null || !Number.isFinite(row.value)) continue;
    bucket.sum += row.value;
    bucket.count++;
    if (row.value > bucket.max) bucket.max = row.value;
  }
  order.sort((a, b) => a - b);
  return order.map((start) => {
    const b = buckets.get(start)!;
    if (b.count === 0) return [start, null];
    const value = aggregation === 'max' ? b.max : b.sum / b.count;
    return [start, Math.round(value * 1000) / 1000];
  });
}

/** A step from a query string: seconds (`60`) or a duration (`30s`, `5m`, `1h`, `1d`). Null if malformed. */
export function parseStep(raw: string): number | null {
  const match = /^(\d{1,9})(s|m|h|d)?$/.exec(raw.trim());
  if (!match) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  return seconds >= 1 ? seconds : null;
}
