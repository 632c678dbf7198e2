import type { LiveSource } from './live-source.js';
import { SseLiveSource } from './sse-source.js';
import { WebSocketLiveSource, type SocketFactory, type SocketLike } from './ws-source.js';

export interface LiveHubOptions {
  /** ws(s)://host/api/v1/ws */
  wsUrl: string;
  streamUrl: (serverId: string) => string;
  token: () => string | undefined;
  socketFactory?: SocketFactory;
  fetch?: typeof fetch;
  probeTimeoutMs?: number;
}

/**
 * Picks the live transport once per session: it opens the WebSocket; if the control plane accepts the
 * upgrade, every subscription runs over it, otherwise (the route is not there yet, or a proxy refuses
 * upgrades) over the per-server SSE stream. Stores await `ready` and never see the difference.
 */
export class LiveHub {
  transport = $state<'websocket' | 'sse' | 'choosing'>('choosing');
  readonly ready: Promise<LiveSource>;
  private source: LiveSource | undefined;

  constructor(private readonly options: LiveHubOptions) {
    this.ready = this.choose().then((source) => {
      this.source = source;
      this.transport = source.transport;
      return source;
    });
  }

  close() {
    this.source?.close();
    void this.ready.then((s) => s.close());
  }

  private sse(): LiveSource {
    return new SseLiveSource({
      streamUrl: this.options.streamUrl,
      token: this.options.token,
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    });
  }

  private choose(): Promise<LiveSource> {
    const factory: SocketFactory = this.options.socketFactory ?? ((url) => new WebSocket(url));
    return new Promise((resolve) => {
      let socket: SocketLike;
      try {
        socket = factory(this.options.wsUrl);
      } catch {
        resolve(this.sse());
        return;
      }
      let settled = false;
      const fallback = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          socket.close();
        } catch {
          // already closed
        }
        resolve(this.sse());
      };
      const timer = setTimeout(fallback, this.options.probeTimeoutMs ?? 4000);
      socket.addEventListener('open', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(new WebSocketLiveSource(this.options.wsUrl, this.options.token, factory, socket));
      });
      socket.addEventListener('error', fallback);
      socket.addEventListener('close', fallback);
    });
  }
}
