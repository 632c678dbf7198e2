import { DomainError } from '@minefleet/domain/errors';
import type { PlatformEvent } from '@minefleet/domain/ports/event-bus';
import { hasPermission, type Actor } from '@minefleet/services/actor';
import type { HubWatcher } from './live-hub.js';
import type { LiveOutbox } from './live-outbox.js';
import type { LiveConnectionDeps } from './live-settings.js';
import { LIVE_STREAMS, type LiveStream } from './protocol.js';

interface Subscription {
  streams: Set<LiveStream>;
  /** Stops the hub delivering this server's events (set once the watch is live). */
  unwatch: (() => void) | undefined;
}

function consoleForbidden(details: Record<string, unknown>): DomainError {
  return new DomainError('FORBIDDEN', 'The console needs the console.read permission.', {
    streams: ['console'],
    required: 'console.read',
    ...details,
  });
}

/**
 * The servers one connection watches and which streams of each: subscribing checks the actor may read
 * the server (and its console), and starts the hub's watch on the first stream of a server; the last
 * stream unsubscribed ends it.
 */
export class LiveSubscriptions {
  private readonly byServer = new Map<string, Subscription>();

  constructor(
    private readonly deps: Pick<LiveConnectionDeps, 'hub' | 'lifecycle' | 'settings'>,
    private readonly outbox: LiveOutbox,
    /** The connection the hub delivers to. */
    private readonly watcher: HubWatcher & { readonly closed: boolean },
  ) {}

  get size(): number {
    return this.byServer.size;
  }

  /** Whether the event is of a watched server and a stream it was asked for (backups always are). */
  wants(event: PlatformEvent): boolean {
    const subscription = this.byServer.get(event.serverId);
    if (!subscription) return false;
    return event.type === 'backup' || subscription.streams.has(event.type);
  }

  async subscribe(actor: Actor, serverId: string, names: string[], id?: string): Promise<void> {
    try {
      const unknown = names.filter((n) => !(LIVE_STREAMS as readonly string[]).includes(n));
      if (unknown.length > 0) {
        throw new DomainError('VALIDATION_FAILED', `Unknown streams: ${unknown.join(', ')}.`, {
          streams: unknown,
          allowed: LIVE_STREAMS,
        });
      }
      if (!this.byServer.has(serverId) && this.byServer.size >= this.deps.settings.maxSubscriptions) {
        throw new DomainError(
          'VALIDATION_FAILED',
          `At most ${this.deps.settings.maxSubscriptions} servers per connection.`,
        );
      }
      // Another tenant's server answers exactly like a missing one (row-level security).
      await this.deps.lifecycle.authorize(actor, serverId, 'server.read');
    } catch (error) {
      this.outbox.replyError(error, serverId, id);
      return;
    }
    const requested = new Set(names as LiveStream[]);
    if (requested.has('console') && !hasPermission(actor, 'console.read')) {
      requested.delete('console');
      this.outbox.replyError(consoleForbidden({ role: actor.role }), serverId, id);
    }
    if (requested.size === 0) return;
    let subscription = this.byServer.get(serverId);
    if (!subscription) {
      subscription = { streams: new Set(), unwatch: undefined };
      this.byServer.set(serverId, subscription);
      try {
        const unwatch = await this.deps.hub.watch(actor.tenantId, serverId, this.watcher);
        if (this.watcher.closed || this.byServer.get(serverId) !== subscription) unwatch();
        else subscription.unwatch = unwatch;
      } catch (error) {
        this.byServer.delete(serverId);
        this.outbox.replyError(error, serverId, id);
        return;
      }
    }
    for (const stream of requested) subscription.streams.add(stream);
    this.outbox.reply('subscribed', serverId, { streams: [...subscription.streams] }, id);
  }

  unsubscribe(serverId: string, names: string[] | undefined, id?: string): Promise<void> {
    const subscription = this.byServer.get(serverId);
    if (subscription) {
      for (const stream of names ?? [...subscription.streams])
        subscription.streams.delete(stream as LiveStream);
      if (subscription.streams.size === 0) this.end(serverId, subscription);
    }
    this.outbox.reply(
      'unsubscribed',
      serverId,
      { streams: [...(this.byServer.get(serverId)?.streams ?? [])] },
      id,
    );
    return Promise.resolve();
  }

  /** A new actor: without console.read, console streams end, each with a FORBIDDEN error. */
  keepAllowed(actor: Actor): void {
    if (hasPermission(actor, 'console.read')) return;
    for (const [serverId, subscription] of this.byServer) {
      if (!subscription.streams.delete('console')) continue;
      this.outbox.replyError(consoleForbidden({}), serverId);
      if (subscription.streams.size === 0) this.end(serverId, subscription);
    }
  }

  /** The connection ended: every watch stops. */
  clear(): void {
    for (const subscription of this.byServer.values()) subscription.unwatch?.();
    this.byServer.clear();
  }

  private end(serverId: string, subscription: Subscription): void {
    subscription.unwatch?.();
    this.byServer.delete(serverId);
  }
}
