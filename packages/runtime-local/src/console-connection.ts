import net from 'node:net';
import type { ConsoleLine, LivePlayer, LogLevel, LogSource } from '@minefleet/domain/ports/runtime-driver';

/** What the game process says about itself on its console socket (see launcher/console-host.cjs). */
export interface ConsoleHello {
  serverId: string;
  generation: number;
  pid: number;
  kind: string;
  startedAt: string;
  /** The game admits players (loaded, plugins included); absent from a launcher older than this field. */
  ready?: boolean;
}

export interface TickStats {
  tps?: number;
  mspt?: number;
}

interface WireLine {
  ts: string;
  level: LogLevel;
  source: LogSource;
  message: string;
}

type Reply = Record<string, unknown> & { type: string; id?: number };

const REQUEST_TIMEOUT_MS = 5_000;
/** Longest path a unix socket address can hold on Linux (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/**
 * The address to connect to: the socket's own path, or when that is too long for a unix address the
 * same file reached through the process's working directory (`/proc/<pid>/cwd` is the server folder).
 */
export function socketAddress(socketPath: string, root: string, pid: number | undefined): string {
  if (Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH || pid === undefined) return socketPath;
  return `/proc/${pid}/cwd/${socketPath.slice(root.length + 1)}`;
}

/**
 * Longest console message accepted (characters of one JSON line). The console host cuts game output
 * into lines of at most 1 MiB; JSON escaping can double that.
 */
export const MAX_MESSAGE_CHARS = 4 * 1024 * 1024;

/** A client of one game process's console socket: newline-delimited JSON requests and replies. */
export class ConsoleConnection {
  private nextId = 1;
  private buffer = '';
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private lineListener: ((line: ConsoleLine) => void) | undefined;
  private readonly closeListeners: (() => void)[] = [];
  private closed = false;

  private constructor(
    private readonly socket: net.Socket,
    /** What arrived before this client took the socket over (after an agent's handshake). */
    initial = '',
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    if (initial) queueMicrotask(() => this.onData(initial));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const resolve of this.waiting.values()) resolve({ type: 'error', message: 'console closed' });
      this.waiting.clear();
      for (const listener of this.closeListeners) listener();
    });
  }

  /** Connects, or rejects if nothing listens there within the timeout. */
  static connect(address: string, timeoutMs = 2_000): Promise<ConsoleConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(address);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`console socket ${address}: connect timeout`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ConsoleConnection(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /**
   * Connects to a game's console through the in-pod agent of Minefleet's game image, over TCP
   * (deploy/docker/flying-squid/minefleet-agent.mjs): the first line proves the caller knows the server's
   * console password, then it is this same protocol. Rejects when nothing answers in time, or the agent
   * refuses (a wrong password, no console behind it).
   */
  static connectAgent(
    address: { host: string; port: number },
    token: string,
    timeoutMs = 3_000,
  ): Promise<ConsoleConnection> {
    const where = `console agent ${address.host}:${address.port}`;
    return new Promise((resolve, reject) => {
      const socket = net.connect(address);
      let buffered = '';
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`${where}: no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.setEncoding('utf8');
      socket.once('error', fail);
      socket.once('close', () => fail(new Error(`${where}: closed before it answered`)));
      socket.once('connect', () => socket.write(JSON.stringify({ op: 'auth', token }) + '\n'));
      const onData = (chunk: string) => {
        buffered += chunk;
        const end = buffered.indexOf('\n');
        if (end < 0) {
          if (buffered.length > 4096) fail(new Error(`${where}: no answer line`));
          return;
        }
        socket.off('data', onData);
        let reply: Reply | undefined;
        try {
          reply = JSON.parse(buffered.slice(0, end)) as Reply;
        } catch {
          reply = undefined;
        }
        if (reply?.type !== 'authenticated') {
          const why = typeof reply?.message === 'string' ? reply.message : 'an answer it could not read';
          fail(new Error(`${where}: refused: ${why}`));
          return;
        }
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        resolve(new ConsoleConnection(socket, buffered.slice(end + 1)));
      };
      socket.on('data', onData);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  async hello(): Promise<ConsoleHello> {
    const reply = await this.request({ op: 'hello' });
    if (reply.type !== 'hello') throw new Error(`console: unexpected answer to hello: ${reply.type}`);
    return reply as unknown as ConsoleHello;
  }

  /**
   * Whether the game admits players, as the process itself says. A process started by a launcher that
   * does not tell counts as ready (the server-list ping alone decided then).
   */
  async ready(): Promise<boolean> {
    return (await this.hello()).ready !== false;
  }

  /**
   * Streams every console line from now on to the listener; with `replay`, first the lines the process
   * still holds (the newest 1,000) — what a driver that just spawned it has not seen yet.
   */
  async subscribe(listener: (line: ConsoleLine) => void, replay = false): Promise<void> {
    this.lineListener = listener;
    await this.request({ op: 'subscribe', replay });
  }

  async command(line: string): Promise<void> {
    const reply = await this.request({ op: 'command', line });
    if (reply.type !== 'ack') throw new Error(`console: command refused: ${String(reply.message)}`);
  }

  /** Writes a platform line into the process's console log. */
  async log(level: LogLevel, message: string): Promise<void> {
    await this.request({ op: 'log', level, message });
  }

  async stats(): Promise<TickStats> {
    const reply = await this.request({ op: 'stats' });
    const out: TickStats = {};
    if (typeof reply.tps === 'number') out.tps = reply.tps;
    if (typeof reply.mspt === 'number') out.mspt = reply.mspt;
    return out;
  }

  /** Players connected now with their ping, or null when the process does not report them. */
  async players(): Promise<LivePlayer[] | null> {
    const reply = await this.request({ op: 'players' });
    if (!Array.isArray(reply.players)) return null;
    return (reply.players as unknown[]).flatMap((p) => {
      const r = p as { name?: unknown; uuid?: unknown; ping?: unknown };
      if (typeof r.name !== 'string') return [];
      return [
        {
          name: r.name,
          uuid: typeof r.uuid === 'string' ? r.uuid : null,
          pingMs: typeof r.ping === 'number' && Number.isFinite(r.ping) ? r.ping : null,
        },
      ];
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private request(body: Record<string, unknown>): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('console closed'));
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`console: no answer to ${String(body.op)} within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.type === 'error' && reply.message === 'console closed') reject(new Error('console closed'));
        else resolve(reply);
      });
      this.socket.write(JSON.stringify({ ...body, id }) + '\n');
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    // The game process writes this socket, and it may be hostile: a message without its end past the
    // bound closes the connection instead of growing this process's memory.
    if (this.buffer.length > MAX_MESSAGE_CHARS && this.buffer.lastIndexOf('\n') < 0) {
      this.buffer = '';
      this.socket.destroy();
      return;
    }
    let index: number;
    while ((index = this.buffer.indexOf('\n')) >= 0) {
      const text = this.buffer.slice(0, index);
      this.buffer = this.buffer.slice(index + 1);
      let message: Reply;
      try {
        message = JSON.parse(text) as Reply;
      } catch {
        continue;
      }
      if (message.type === 'line') {
        const wire = message.line as WireLine;
        this.lineListener?.({
          ts: new Date(wire.ts),
          level: wire.level,
          source: wire.source,
          message: wire.message,
        });
        continue;
      }
      if (typeof message.id === 'number') {
        const resolve = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        resolve?.(message);
      }
    }
  }
}
