import {
  backoffDelay,
  type ConnectionState,
  type LiveEvent,
  type LiveSource,
  type LiveStream,
  type SubscribeOptions,
  type Subscription,
} from './live-source.js';

/** The minimal WebSocket surface used here, so tests can hand in a fake socket. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: Event) => void): void;
}
export type SocketFactory = (url: string) => SocketLike;

interface Listener {
  streams: Set<LiveStream>;
  options: SubscribeOptions;
}

const OPEN = 1;

/**
 * Live events over the control plane's WebSocket (`/api/v1/ws`, docs/websocket.md): one socket for every
 * subscription, the auth message first, `subscribe`/`unsubscribe` per server with the union of the
 * streams its listeners want, and on reconnection the same subscriptions again.
 */
export class WebSocketLiveSource implements LiveSource {
  readonly transport = 'websocket' as const;
  readonly streams: readonly LiveStream[] = ['status', 'metrics', 'console'];
  private socket: SocketLike | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private idle = false;
  private state: ConnectionState = 'connecting';

  constructor(
    private readonly url: string,
    private readonly token: () => string | undefined,
    private readonly factory: SocketFactory = (u) => new WebSocket(u),
    /** An already open socket (from the probe that chose this transport). */
    initial?: SocketLike,
  ) {
    if (initial) this.adopt(initial, true);
    else this.connect();
  }

  subscribe(serverId: string, streams: readonly LiveStream[], options: SubscribeOptions): Subscription {
    const listener: Listener = { streams: new Set(streams), options };
    if (this.idle) {
      this.idle = false;
      this.state = 'connecting';
      this.connect();
    }
    let set = this.listeners.get(serverId);
    if (!set) this.listeners.set(serverId, (set = new Set()));
    const before = this.wanted(serverId);
    set.add(listener);
    const added = [...listener.streams].filter((s) => !before.has(s));
    if (added.length > 0) this.send({ type: 'subscribe', server_id: serverId, streams: added });
    options.onState?.(this.state);
    return {
      unsubscribe: () => {
        const current = this.listeners.get(serverId);
        if (!current?.delete(listener)) return;
        const after = this.wanted(serverId);
        const removed = [...listener.streams].filter((s) => !after.has(s));
        if (current.size === 0) this.listeners.delete(serverId);
        if (removed.length > 0) this.send({ type: 'unsubscribe', server_id: serverId, streams: removed });
        options.onState?.('closed');
      },
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, 'closed by the dashboard');
    this.listeners.clear();
  }

  private wanted(serverId: string): Set<LiveStream> {
    const out = new Set<LiveStream>();
    for (const l of this.listeners.get(serverId) ?? []) for (const s of l.streams) out.add(s);
    return out;
  }

  private send(message: unknown) {
    // Before the socket opens, subscriptions are sent by `adopt` once authenticated.
    if (this.socket?.readyState === OPEN && this.state === 'open') this.socket.send(JSON.stringify(message));
  }

  private setState(state: ConnectionState, detail?: string) {
    this.state = state;
    for (const set of this.listeners.values()) for (const l of set) l.options.onState?.(state, detail);
  }

  private connect() {
    if (this.closed) return;
    let socket: SocketLike;
    try {
      socket = this.factory(this.url);
    } catch {
      this.retry();
      return;
    }
    socket.addEventListener('open', () => this.adopt(socket, false));
    socket.addEventListener('close', (event) => this.lost(socket, event as CloseEvent));
  }

  private adopt(socket: SocketLike, fresh: boolean) {
    this.socket = socket;
    if (fresh) socket.addEventListener('close', (event) => this.lost(socket, event as CloseEvent));
    socket.addEventListener('message', (event) => this.receive((event as MessageEvent<string>).data));
    socket.send(JSON.stringify({ type: 'auth', token: this.token() ?? '' }));
    this.attempt = 0;
    this.state = 'open';
    for (const serverId of this.listeners.keys()) {
      const streams = [...this.wanted(serverId)];
      if (streams.length > 0)
        socket.send(JSON.stringify({ type: 'subscribe', server_id: serverId, streams }));
    }
    this.setState('open');
  }

  private lost(socket: SocketLike, event: CloseEvent | undefined) {
    if (socket !== this.socket && this.socket !== undefined) return;
    this.socket = undefined;
    if (this.closed) return;
    // 4401: the token was refused or expired; retrying with the same token cannot help.
    if (event?.code === 4401) {
      this.setState('denied', 'UNAUTHENTICATED');
      return;
    }
    // Nobody listening (the server closes idle sockets, 4408): reconnect on the next subscription.
    if (this.listeners.size === 0) {
      this.idle = true;
      this.state = 'closed';
      return;
    }
    this.setState('reconnecting');
    this.retry();
  }

  private retry() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), backoffDelay(this.attempt++));
  }

  private receive(raw: string) {
    let message: { type?: string; server_id?: string; ts?: string; data?: unknown };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return;
    }
    const serverId = message.server_id;
    if (!serverId) return;
    const set = this.listeners.get(serverId);
    if (!set) return;
    if (message.type === 'error') {
      const data = message.data as { code?: string } | undefined;
      for (const l of set) l.options.onState?.('denied', data?.code ?? 'FORBIDDEN');
      return;
    }
    const type = message.type;
    if (
      type !== 'status' &&
      type !== 'metrics' &&
      type !== 'console' &&
      type !== 'backup' &&
      type !== 'dropped'
    )
      return;
    const event = {
      type,
      server_id: serverId,
      ts: message.ts ?? new Date().toISOString(),
      data: message.data,
    } as LiveEvent;
    for (const l of set) {
      if (type === 'backup' || type === 'dropped' || l.streams.has(type)) l.options.onEvent(event);
    }
  }
}
