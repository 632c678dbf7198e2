import { Gauge, type Registry } from 'prom-client';
import { SERVER_STATUSES } from '@minefleet/domain/server-state';
import type { MetricsCollector } from '@minefleet/services/metrics/metrics-collector';

const LABELS = ['server_id', 'server_name', 'tenant_id'] as const;

/**
 * Per-server gauges for Prometheus, from the metrics collector's last round, for the servers this
 * replica owns (so scraping every replica counts each server once). Labels: server_id, server_name,
 * tenant_id; the tenant's servers' names are visible to whoever reads /metrics, hence
 * MINEFLEET_METRICS_TOKEN. Status is one-hot (`minefleet_server_status{status="running"} 1`), the usual
 * shape for alerting on a state.
 */
export function registerServerGauges(registry: Registry, collector: MetricsCollector): void {
  const gauge = (
    name: string,
    help: string,
    value: (s: ReturnType<MetricsCollector['servers']>[number]) => number | null | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const server of collector.servers()) {
          const v = value(server);
          if (v === null || v === undefined) continue;
          this.set({ server_id: server.id, server_name: server.name, tenant_id: server.tenantId }, v);
        }
      },
    });

  gauge(
    'minefleet_server_players_online',
    'Players online (server-list ping).',
    (s) => s.sample?.playersOnline,
  );
  gauge(
    'minefleet_server_max_players',
    'Player limit of the server.',
    (s) => s.sample?.maxPlayers ?? s.maxPlayers,
  );
  gauge(
    'minefleet_server_cpu_percent',
    'CPU use of the server process, percent of one core.',
    (s) => s.sample?.cpuPercent,
  );
  gauge(
    'minefleet_server_memory_bytes',
    'Resident memory of the server process.',
    (s) => s.sample?.memoryBytes,
  );
  gauge(
    'minefleet_server_memory_limit_bytes',
    'Memory of the server’s plan.',
    (s) => s.memoryMb * 1024 * 1024,
  );
  gauge('minefleet_server_disk_bytes', 'Bytes used by the server’s folder.', (s) => s.sample?.diskBytes);
  gauge(
    'minefleet_server_disk_limit_bytes',
    'Storage of the server’s plan.',
    (s) => s.storageMb * 1024 * 1024,
  );
  gauge(
    'minefleet_server_tps',
    'Ticks per second, where the distribution reports it honestly.',
    (s) => s.sample?.tps,
  );
  gauge('minefleet_server_ping_seconds', 'Server-list ping latency.', (s) =>
    s.sample?.pingMs === null || s.sample?.pingMs === undefined ? null : s.sample.pingMs / 1000,
  );
  gauge('minefleet_server_crashes', 'Crashes counted in the current crash window.', (s) => s.crashCount);

  new Gauge({
    name: 'minefleet_metrics_round_seconds',
    help: 'Duration of the metrics collector’s last round over the servers this replica owns.',
    registers: [registry],
    collect() {
      this.set(collector.lastRoundMs / 1000);
    },
  });

  new Gauge({
    name: 'minefleet_server_status',
    help: 'Observed status of the server, one-hot (1 for the current status, 0 for the others).',
    labelNames: [...LABELS, 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const server of collector.servers()) {
        for (const status of SERVER_STATUSES) {
          this.set(
            { server_id: server.id, server_name: server.name, tenant_id: server.tenantId, status },
            server.status === status ? 1 : 0,
          );
        }
      }
    },
  });
}
