import WebSocket from 'ws';

/** A message the control plane pushed on `/api/v1/ws`. */
export interface LiveMessage {
  type: string;
  id?: string;
  server_id?: string;
  ts: string;
  data: any;
  /** When this client received it (performance.timeOrigin + performance.now(), ms). */
  receivedAt: number;
}

/**
 * A WebSocket client of the control plane for tests and benches, the way a dashboard talks to it: it
 * records every message and lets a test wait for one matching a predicate.
 */
export class LiveClient {
  readonly messages: LiveMessage[] = [];
  /** Resolves with the close code and reason once the socket closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { predicate: (m: LiveMessage) => boolean; resolve: (m: LiveMessage) => void }[] = [];
  private readonly onMessageHooks: ((m: LiveMessage) => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    socket.on('message', (data) => {
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.from(data).toString('utf8');
      const message = JSON.parse(text) as LiveMessage;
      message.receivedAt = performance.timeOrigin + performance.now();
      this.messages.push(message);
      for (const hook of this.onMessageHooks) hook(message);
      const matched = this.waiters.filter((w) => w.predicate(message));
      this.waiters = this.waiters.filter((w) => !matched.includes(w));
      for (const w of matched) w.resolve(message);
    });
  }

  /** Opens a socket to `<baseUrl>/api/v1/ws` (http → ws). */
  static async connect(baseUrl: string, options: { autoPong?: boolean } = {}): Promise<LiveClient> {
    // autoPong false: a peer that stops answering the server's pings (heartbeat tests).
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/ws`, {
      autoPong: options.autoPong ?? true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new LiveClient(socket);
  }

  /** Connects and authenticates; resolves once the control plane answered `authenticated`. */
  static async open(
    baseUrl: string,
    token: string,
    options: { autoPong?: boolean } = {},
  ): Promise<LiveClient> {
    const client = await LiveClient.connect(baseUrl, options);
    const answer = client.next((m) => m.type === 'authenticated' || m.type === 'error', 10_000);
    client.send({ type: 'auth', token });
    await answer;
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Called on every message (benches count without storing). */
  onMessage(hook: (m: LiveMessage) => void): void {
    this.onMessageHooks.push(hook);
  }

  /** Waits for a message matching `predicate` that arrives from now on. */
  next(predicate: (m: LiveMessage) => boolean, timeoutMs = 15_000): Promise<LiveMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `no matching message in ${timeoutMs} ms; last: ${JSON.stringify(this.messages.slice(-5))}`,
          ),
        );
      }, timeoutMs);
      const done = (m: LiveMessage) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ predicate, resolve: done });
    });
  }

  /** A message already received or arriving later that matches `predicate`. */
  waitFor(predicate: (m: LiveMessage) => boolean, timeoutMs = 15_000): Promise<LiveMessage> {
    const seen = this.messages.find(predicate);
    return seen ? Promise.resolve(seen) : this.next(predicate, timeoutMs);
  }

  /** Subscribes and waits for the answer (`subscribed`, or an `error` for that server). */
  async subscribe(serverId: string, streams: string[]): Promise<LiveMessage> {
    const id = `sub-${Math.random().toString(36).slice(2)}`;
    const answer = this.next((m) => m.id === id && (m.type === 'subscribed' || m.type === 'error'));
    this.send({ type: 'subscribe', server_id: serverId, streams, id });
    return answer;
  }

  /** Sends a console command and waits for `command_accepted` or `error`. */
  async command(serverId: string, command: string): Promise<LiveMessage> {
    const id = `cmd-${Math.random().toString(36).slice(2)}`;
    const answer = this.next((m) => m.id === id && (m.type === 'command_accepted' || m.type === 'error'));
    this.send({ type: 'command', server_id: serverId, command, id });
    return answer;
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close(1000);
    return this.closed;
  }
}
