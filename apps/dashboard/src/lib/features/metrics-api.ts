import { isMissingRoute, type Api } from '../api.js';

/** `GET /servers/{id}/metrics` of API.md (issue 6). Typed here until it is in the OpenAPI document. */
export type MetricName = 'players_online' | 'cpu_percent' | 'memory_bytes' | 'tps';
export interface MetricSeries {
  name: string;
  unit?: string;
  points: [string | number, number | null][];
}

export type Availability = 'unknown' | 'available' | 'missing';

export interface MetricsQuery {
  names: MetricName[];
  /** Range back from now, in seconds. */
  rangeSeconds: number;
  /** Bucket width in seconds. */
  stepSeconds?: number;
}

export async function fetchMetrics(api: Api, serverId: string, query: MetricsQuery, signal?: AbortSignal) {
  const to = new Date();
  const from = new Date(to.getTime() - query.rangeSeconds * 1000);
  const params = new URLSearchParams({
    names: query.names.join(','),
    from: from.toISOString(),
    to: to.toISOString(),
  });
  if (query.stepSeconds) params.set('step', `${query.stepSeconds}s`);
  return api.raw<{ series: MetricSeries[] }>(
    'GET',
    `/servers/${encodeURIComponent(serverId)}/metrics?${params.toString()}`,
    undefined,
    signal ? { signal } : {},
  );
}

/** Points as [epoch seconds, value], the shape charts want. */
export function toSeconds(points: MetricSeries['points']): [number, number | null][] {
  return points.map(([ts, v]) => [
    typeof ts === 'number' ? (ts > 1e12 ? ts / 1000 : ts) : Date.parse(ts) / 1000,
    v,
  ]);
}

export { isMissingRoute };

/** `GET /servers/{id}/players/sessions` (issue 6): who joined and when. */
export interface PlayerSession {
  id: string;
  player_name: string;
  player_uuid: string | null;
  joined_at: string;
  left_at: string | null;
  duration_seconds: number;
}

export function fetchSessions(api: Api, serverId: string, perPage = 8) {
  return api.raw<{ sessions: PlayerSession[]; pagination: { total: number } }>(
    'GET',
    `/servers/${encodeURIComponent(serverId)}/players/sessions?per_page=${perPage}`,
  );
}
