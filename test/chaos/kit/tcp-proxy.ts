import net from 'node:net';

/**
 * A loopback TCP proxy between the control planes and a server they depend on (PostgreSQL, the S3
 * store) that can be made to misbehave: added latency on every chunk in both directions, a stall (every
 * connection stays open and nothing moves, a hung server), a reset of every open connection, and a
 * "down" window in which every open connection is reset and new ones are refused (a restart, seen from
 * the client) — without touching the server itself, which others may share.
 */
export class FaultyTcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private latencyMs = 0;
  private down = false;
  /** While stalled: resolves when the stall ends; chunks wait for it. */
  private stall: { done: Promise<void>; end: () => void } | undefined;
  port = 0;
  /** Connections accepted so far (a reconnect after a fault shows up here). */
  accepted = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => this.handle(client));
  }

  static async start(target: { host: string; port: number }): Promise<FaultyTcpProxy> {
    const proxy = new FaultyTcpProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  private handle(client: net.Socket): void {
    if (this.down) {
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const pipe = (from: net.Socket, to: net.Socket) => {
      // Chunks keep their order: each waits for the one before it, plus the latency in force.
      let chain = Promise.resolve();
      from.on('data', (chunk) => {
        const delay = this.latencyMs;
        chain = chain.then(async () => {
          if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
          while (this.stall) await this.stall.done;
          if (!to.destroyed) to.write(chunk);
        });
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
    const close = () => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  /** Adds `ms` of latency to every chunk from now on (0 removes it). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Stalled: connections are accepted and kept, and no byte moves either way until unstalled. */
  setStalled(stalled: boolean): void {
    if (stalled && !this.stall) {
      let end!: () => void;
      const done = new Promise<void>((resolve) => (end = resolve));
      this.stall = { done, end };
    } else if (!stalled && this.stall) {
      const { end } = this.stall;
      this.stall = undefined;
      end();
    }
  }

  /** Resets every open connection (TCP RST to both sides). */
  resetAll(): number {
    const open = [...this.sockets];
    for (const socket of open) socket.resetAndDestroy();
    this.sockets.clear();
    return open.length / 2;
  }

  /** Down: resets what is open and refuses new connections until `up()`. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) this.resetAll();
  }

  async close(): Promise<void> {
    this.setStalled(false);
    this.setDown(true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
