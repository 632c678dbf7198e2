import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The operator's Prometheus metrics, on a registry of its own (no global state). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'minefleet_operator_' });
  return {
    registry,
    reconcileDuration: new Histogram({
      name: 'minefleet_operator_reconcile_duration_seconds',
      help: 'Time one reconcile of a MinecraftServer took.',
      labelNames: ['result'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'minefleet_operator_reconcile_errors_total',
      help: 'Reconciles that failed, by reason (the API status reason or the network error code).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    retries: new Counter({
      name: 'minefleet_operator_reconcile_retries_total',
      help: 'Reconciles queued again after a failure (with backoff).',
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'minefleet_operator_queue_depth',
      help: 'MinecraftServers waiting to be reconciled.',
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'minefleet_operator_leader',
      help: '1 while this replica holds the leader lease.',
      registers: [registry],
    }),
    apiRequests: new Histogram({
      name: 'minefleet_operator_api_request_duration_seconds',
      help: 'Requests to the Kubernetes API server, by verb, resource and status code.',
      labelNames: ['verb', 'resource', 'code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    watchRestarts: new Counter({
      name: 'minefleet_operator_watch_restarts_total',
      help: 'Watches restarted, by resource and reason (Expired = 410 Gone, relisted).',
      labelNames: ['resource', 'reason'] as const,
      registers: [registry],
    }),
  };
}
/** The resource a request path names (statefulsets, minecraftservers/status, ...), for a label of few values. */
export function resourceOfPath(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const ns = parts.indexOf('namespaces');
  const rest = ns >= 0 ? parts.slice(ns + 2) : parts.slice(parts[0] === 'api' ? 2 : 3);
  return rest.length >= 3 ? `${rest[0]}/${rest[2]}` : (rest[0] ?? 'unknown');
}

export type OperatorMetrics = ReturnType<typeof createMetrics>;
