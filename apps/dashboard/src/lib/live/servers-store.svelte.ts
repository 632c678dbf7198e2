import type { Server } from '@minefleet/api-client/client';
import { call, type Api } from '../api.js';
import { describeError, type ShownError } from '../errors.js';
import { pageHidden } from './page-visibility.js';
import type { LiveSource, Subscription } from './live-source.js';

export interface ServersStoreOptions {
  api: Api;
  source: Promise<LiveSource>;
  pollMs?: number;
  /** Safety cap: a tenant with more servers than this sees the first ones and a note. */
  maxPages?: number;
}

const PER_PAGE = 100;
const SPARK_POINTS = 30;
const LIVE_ROWS = 500;

export interface Spark {
  cpu: number[];
  memory: number[];
}

/**
 * The tenant's servers, kept current by polling (every page, so search and status filtering are
 * instant on the client) and, over the WebSocket, by status and metrics events of every listed server.
 */
export class ServersStore {
  servers = $state.raw<Server[]>([]);
  total = $state(0);
  loaded = $state(false);
  error = $state<ShownError | undefined>(undefined);
  /** Recent CPU % and memory bytes per server, for sparklines; filled only where metrics exist. */
  sparks = $state.raw<Record<string, Spark>>({});

  private timer: ReturnType<typeof setInterval> | undefined;
  private subscriptions = new Map<string, Subscription>();
  private source: LiveSource | undefined;
  private stopped = false;

  constructor(private readonly options: ServersStoreOptions) {}

  async start(): Promise<void> {
    await this.refresh();
    // A hidden tab does not poll; the next visible tick catches up.
    this.timer = setInterval(() => {
      if (!pageHidden()) void this.refresh();
    }, this.options.pollMs ?? 5000);
    this.source = await this.options.source;
    if (!this.stopped) this.syncSubscriptions();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const s of this.subscriptions.values()) s.unsubscribe();
    this.subscriptions.clear();
  }

  async refresh(): Promise<void> {
    try {
      const all: Server[] = [];
      let total = 0;
      for (let page = 1; page <= (this.options.maxPages ?? 10); page++) {
        const result = await call(
          this.options.api.client.GET('/api/v1/servers', { params: { query: { page, per_page: PER_PAGE } } }),
        );
        all.push(...result.servers);
        total = result.pagination.total;
        if (all.length >= total || result.servers.length < PER_PAGE) break;
      }
      if (this.stopped) return;
      this.servers = all;
      this.total = total;
      this.error = undefined;
      this.syncSubscriptions();
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.loaded = true;
    }
  }

  /** Records one metrics sample (from the WebSocket or a history query) into the sparkline buffers. */
  addSample(serverId: string, cpu: number | undefined, memory: number | undefined) {
    const prev = this.sparks[serverId] ?? { cpu: [], memory: [] };
    const next: Spark = {
      cpu: cpu === undefined ? prev.cpu : [...prev.cpu, cpu].slice(-SPARK_POINTS),
      memory: memory === undefined ? prev.memory : [...prev.memory, memory].slice(-SPARK_POINTS),
    };
    this.sparks = { ...this.sparks, [serverId]: next };
  }

  setSpark(serverId: string, spark: Spark) {
    this.sparks = { ...this.sparks, [serverId]: spark };
  }

  /**
   * Live status/metrics only when the transport multiplexes (the WebSocket): one SSE connection per
   * listed server would exhaust the browser's six connections per host, so with SSE the list polls.
   */
  private syncSubscriptions() {
    const source = this.source;
    if (!source || source.transport !== 'websocket') return;
    // The control plane caps servers per connection (1,000) and messages per 10 s (2,000): follow at
    // most 500 rows live and leave room for the server page; the rest of a huge list polls.
    const ids = new Set(this.servers.slice(0, LIVE_ROWS).map((s) => s.id));
    for (const [id, sub] of this.subscriptions) {
      if (!ids.has(id)) {
        sub.unsubscribe();
        this.subscriptions.delete(id);
      }
    }
    for (const id of ids) {
      if (this.subscriptions.has(id)) continue;
      this.subscriptions.set(
        id,
        source.subscribe(id, ['status', 'metrics'], {
          onEvent: (event) => {
            if (event.type === 'status') {
              this.servers = this.servers.map((s) =>
                s.id === id ? { ...s, status: event.data.status as Server['status'] } : s,
              );
            } else if (event.type === 'metrics') {
              if (event.data.players_online !== undefined) {
                const players = event.data.players_online;
                this.servers = this.servers.map((s) => (s.id === id ? { ...s, players_online: players } : s));
              }
              this.addSample(id, event.data.cpu_percent, event.data.memory_bytes);
            }
          },
        }),
      );
    }
  }
}
