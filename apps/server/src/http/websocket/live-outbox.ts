import type { WebSocket } from 'ws';
import { DomainError } from '@minefleet/domain/errors';
import { BoundedQueue } from '@minefleet/domain/bounded-queue';
import { pumpQueue } from '@minefleet/domain/queue-pump';
import type { LiveConnectionDeps } from './live-settings.js';

interface Outgoing {
  serverId: string | undefined;
  type: string;
  /** The message as sent: a text frame's payload (events share one buffer across connections). */
  payload: string | Buffer;
}

/** Above this many bytes waiting in the socket, the connection counts as congested. */
const HIGH_WATER_BYTES = 512 * 1024;

/**
 * What one connection sends: everything goes through one bounded queue drained by `pumpQueue` against
 * the socket's buffer. A client that reads slowly loses its own oldest messages (told by a `dropped`
 * message per server) and never delays the producer or any other client.
 */
export class LiveOutbox {
  private readonly queue: BoundedQueue<Outgoing>;
  /** Messages dropped per server since the last `dropped` notice. */
  private readonly droppedFor = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly connectionId: string,
    private readonly deps: Pick<LiveConnectionDeps, 'logger' | 'now' | 'settings' | 'stats'>,
  ) {
    this.queue = new BoundedQueue<Outgoing>(deps.settings.queueSize);
  }

  /** Sends the queue to the socket until it closes; rejects when a send fails. */
  pump(): Promise<void> {
    return pumpQueue(this.queue, {
      send: (item) => {
        this.socket.send(item.payload, { binary: false });
        this.deps.stats.sent(item.type);
      },
      isCongested: () => this.socket.bufferedAmount > HIGH_WATER_BYTES,
      onDropped: (count) => this.reportDropped(count),
    });
  }

  /** Nothing more is sent; what is queued is discarded. */
  close(): void {
    this.closed = true;
    this.queue.close({ discard: true });
  }

  /** An event frame of a watched server, shared as it is with the other connections. */
  event(serverId: string, type: string, frame: Buffer): void {
    this.push({ serverId, type, payload: frame });
  }

  reply(type: string, serverId: string | undefined, data: unknown, id?: string): void {
    const message = {
      type,
      ...(id !== undefined ? { id } : {}),
      ...(serverId !== undefined ? { server_id: serverId } : {}),
      ts: new Date(this.deps.now()).toISOString(),
      data,
    };
    this.push({ serverId, type, payload: JSON.stringify(message) });
  }

  /** An `error` message: a DomainError as it is, anything else logged and sent as INTERNAL. */
  replyError(error: unknown, serverId: string | undefined, id?: string): void {
    const domain =
      error instanceof DomainError ? error : new DomainError('INTERNAL', 'Something went wrong on our side.');
    if (!(error instanceof DomainError))
      this.deps.logger.error({ err: error, connection: this.connectionId }, 'websocket message failed');
    this.reply(
      'error',
      serverId,
      { code: domain.code, message: domain.message, ...(domain.details ? { details: domain.details } : {}) },
      id,
    );
  }

  private push(item: Outgoing): void {
    if (this.closed) return;
    if (this.queue.size === this.queue.capacity) {
      // The oldest message is about to go: remember whose it was, for the `dropped` notice.
      const oldest = this.queue.peek();
      if (oldest?.serverId)
        this.droppedFor.set(oldest.serverId, (this.droppedFor.get(oldest.serverId) ?? 0) + 1);
    }
    this.queue.push(item);
  }

  /** Sent straight to the socket (the pump is the caller): one `dropped` message per affected server. */
  private reportDropped(count: number): void {
    this.deps.stats.dropped(count);
    const ts = new Date(this.deps.now()).toISOString();
    for (const [serverId, n] of this.droppedFor) {
      this.socket.send(JSON.stringify({ type: 'dropped', server_id: serverId, ts, data: { count: n } }));
    }
    this.droppedFor.clear();
  }
}
