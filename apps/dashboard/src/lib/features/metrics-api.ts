import type { Schemas } from '@minefleet/api-client/client';
import { call, isMissingRoute, type Api } from '../api.js';

/** Metrics history and player sessions (docs/metrics.md), through the typed client. */
export type MetricName = Schemas['MetricSeries']['name'];
export type MetricSeries = Schemas['MetricSeries'];
export type PlayerSession = Schemas['PlayerSession'];

export type Availability = 'unknown' | 'available' | 'missing';

export interface MetricsQuery {
  names: MetricName[];
  /** Range back from now, in seconds. */
  rangeSeconds: number;
  /** Bucket width in seconds. */
  stepSeconds?: number;
}

export function fetchMetrics(api: Api, serverId: string, query: MetricsQuery, signal?: AbortSignal) {
  const to = new Date();
  const from = new Date(to.getTime() - query.rangeSeconds * 1000);
  return call(
    api.client.GET('/api/v1/servers/{id}/metrics', {
      params: {
        path: { id: serverId },
        query: {
          names: query.names.join(','),
          from: from.toISOString(),
          to: to.toISOString(),
          ...(query.stepSeconds ? { step: `${query.stepSeconds}s` } : {}),
        },
      },
      ...(signal ? { signal } : {}),
    }),
  );
}

/** Points as [epoch seconds, value], the shape charts want (the API answers seconds). */
export function toSeconds(points: MetricSeries['points']): [number, number | null][] {
  return points.map(([ts, v]) => [typeof ts === 'number' ? (ts > 1e12 ? ts / 1000 : ts) : 0, v ?? null]);
}

export function fetchSessions(api: Api, serverId: string, perPage = 8) {
  return call(
    api.client.GET('/api/v1/servers/{id}/players/sessions', {
      params: { path: { id: serverId }, query: { per_page: perPage } },
    }),
  );
}

export { isMissingRoute };
