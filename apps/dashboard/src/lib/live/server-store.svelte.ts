import type { Server } from '@minefleet/api-client/client';
import { call, type Api } from '../api.js';
import { describeError, type ShownError } from '../errors.js';
import { pageHidden } from './page-visibility.js';
import type { ConnectionState, LiveSource, MetricsData, Subscription } from './live-source.js';

export interface ServerStoreOptions {
  api: Api;
  source: Promise<LiveSource>;
  serverId: string;
  /** Polling interval; status events also trigger a refresh, so this only catches what has no event. */
  pollMs?: number;
}

/**
 * One server, kept current: a status event updates the badge at once and triggers a fresh GET (for
 * address, started_at, players); polling covers what no event carries yet.
 */
export class ServerStore {
  server = $state<Server | undefined>(undefined);
  error = $state<ShownError | undefined>(undefined);
  live = $state<ConnectionState>('connecting');
  /** The newest metrics sample pushed live (WebSocket only). */
  metrics = $state<(MetricsData & { ts: string }) | undefined>(undefined);

  private timer: ReturnType<typeof setInterval> | undefined;
  private subscription: Subscription | undefined;
  private stopped = false;
  private inflight: Promise<void> | undefined;

  constructor(private readonly options: ServerStoreOptions) {}

  async start(): Promise<void> {
    await this.refresh();
    // A hidden tab does not poll; the next visible tick catches up.
    this.timer = setInterval(() => {
      if (!pageHidden()) void this.refresh();
    }, this.options.pollMs ?? 5000);
    const source = await this.options.source;
    if (this.stopped) return;
    this.subscription = source.subscribe(this.options.serverId, ['status', 'metrics'], {
      onEvent: (event) => {
        if (event.type === 'status' && this.server) {
          this.server = {
            ...this.server,
            status: event.data.status as Server['status'],
            desired_state: event.data.desired_state as Server['desired_state'],
            status_reason: event.data.status_reason ?? null,
          };
          void this.refresh();
        } else if (event.type === 'metrics') {
          this.metrics = { ...event.data, ts: event.ts };
          if (this.server && event.data.players_online !== undefined)
            this.server = { ...this.server, players_online: event.data.players_online };
        }
      },
      onState: (state) => {
        this.live = state;
      },
    });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.subscription?.unsubscribe();
  }

  refresh(): Promise<void> {
    // Coalesce: an event storm during start-up must not fire a request per event.
    this.inflight ??= (async () => {
      try {
        this.server = await call(
          this.options.api.client.GET('/api/v1/servers/{id}', {
            params: { path: { id: this.options.serverId } },
          }),
        );
        this.error = undefined;
      } catch (error) {
        this.error = describeError(error);
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
