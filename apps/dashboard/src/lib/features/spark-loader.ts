import type { Api } from '../api.js';
import type { ServersStore } from '../live/servers-store.svelte.js';
import { fetchMetrics, isMissingRoute, type Availability } from './metrics-api.js';

/**
 * Seeds the servers list's sparklines from metrics history (30 min of CPU and memory) for the running
 * servers shown first, a few requests at a time. Says `missing` when the control plane has no metrics
 * route yet, so the list shows no sparkline column instead of empty charts.
 */
export async function loadSparks(
  api: Api,
  store: ServersStore,
  serverIds: readonly string[],
  options: { limit?: number; concurrency?: number; signal?: AbortSignal } = {},
): Promise<Availability> {
  const ids = serverIds.slice(0, options.limit ?? 40);
  let availability: Availability = 'unknown';
  let next = 0;
  const worker = async () => {
    while (next < ids.length && availability !== 'missing' && !options.signal?.aborted) {
      const id = ids[next++]!;
      try {
        const result = await fetchMetrics(
          api,
          id,
          { names: ['cpu_percent', 'memory_bytes'], rangeSeconds: 1800, stepSeconds: 60 },
          options.signal,
        );
        availability = 'available';
        const series = (name: string) =>
          (result.series.find((s) => s.name === name)?.points ?? [])
            .map(([, v]) => v)
            .filter((v): v is number => typeof v === 'number');
        store.setSpark(id, { cpu: series('cpu_percent'), memory: series('memory_bytes') });
      } catch (error) {
        if (isMissingRoute(error)) availability = 'missing';
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, ids.length) }, worker));
  return availability;
}
