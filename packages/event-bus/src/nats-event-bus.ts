import { DomainError } from '@minefleet/domain/errors';
import type {
  EventBus,
  EventFilter,
  EventHandler,
  EventSubscription,
  PlatformEvent,
} from '@minefleet/domain/ports/event-bus';
import {
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { encodeEvent } from './event-codec.js';
import {
  assertRoutableEvent,
  assertValidFilter,
  DEFAULT_SUBJECT_PREFIX,
  eventSubject,
  filterSubject,
} from './event-subjects.js';
import {
  DEFAULT_STREAM_LIMITS,
  ensureStream,
  streamConfig,
  type EventStreamConfig,
  type StreamLimits,
} from './nats-stream.js';
import { SubjectFeed } from './nats-subject-feed.js';
import { reportToConsole, type EventBusErrorReporter } from './subscriber-registry.js';

export const DEFAULT_STREAM_NAME = 'MINEFLEET_EVENTS';

export interface NatsEventBusOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222` (credentials may be in the URL). */
  servers: string | string[];
  /** JetStream stream holding the events (default MINEFLEET_EVENTS). */
  stream?: string;
  /** First subject token(s) (default `minefleet`); tests use a unique one per run. */
  subjectPrefix?: string;
  limits?: Partial<StreamLimits>;
  /** Connection name shown by the NATS server, e.g. the replica id. */
  name?: string;
  /** How long `publish()` waits for the stream's acknowledgement (default 5 s). */
  publishTimeoutMs?: number;
  /** Where handler exceptions, undecodable messages and connection trouble go (default console.error). */
  onError?: EventBusErrorReporter;
}

export type NatsBusState = 'connected' | 'reconnecting' | 'closed';

const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

interface FeedEntry {
  feed: SubjectFeed;
  ready: Promise<void>;
  refs: number;
}

/**
 * The event bus of a multi-replica control plane: events go into one JetStream stream with bounded
 * retention (`<prefix>.<tenantId>.<serverId>.<type>`), and each replica reads the subjects its local
 * subscribers want through ephemeral ordered consumers. An event published on one replica reaches the
 * subscribers of every replica.
 */
export class NatsEventBus implements EventBus {
  private readonly nc: NatsConnection;
  private readonly js: JetStreamClient;
  private readonly jsm: JetStreamManager;
  private readonly stream: string;
  private readonly prefix: string;
  private readonly streamConfig: EventStreamConfig;
  private readonly publishTimeoutMs: number;
  private readonly report: EventBusErrorReporter;
  private readonly feeds = new Map<string, FeedEntry>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing: Promise<void> | null = null;
  private reconnecting = false;
  /** When the stream we read was created; a different value after a reconnect means it was re-made. */
  private streamCreated: string;

  private constructor(
    nc: NatsConnection,
    jsm: JetStreamManager,
    options: NatsEventBusOptions,
    config: EventStreamConfig,
    streamCreated: string,
  ) {
    this.streamCreated = streamCreated;
    this.nc = nc;
    this.jsm = jsm;
    this.js = jetstream(nc);
    this.stream = config.name;
    this.prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
    this.streamConfig = config;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
    this.report = options.onError ?? reportToConsole;
    this.watchStatus().catch((error: unknown) => this.report(error, 'NATS status watcher failed'));
  }

  /**
   * Connects, creates (or updates) the stream, and returns a ready bus. Fails fast when NATS cannot be
   * reached at start; after that, the connection reconnects on its own, forever.
   */
  static async connect(options: NatsEventBusOptions): Promise<NatsEventBus> {
    const stream = options.stream ?? DEFAULT_STREAM_NAME;
    const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
    if (!STREAM_NAME.test(stream)) throw new Error(`Invalid NATS stream name: ${stream}`);
    if (!SUBJECT_PREFIX.test(prefix)) throw new Error(`Invalid NATS subject prefix: ${prefix}`);
    const config = streamConfig(stream, prefix, { ...DEFAULT_STREAM_LIMITS, ...options.limits });
    const nc = await connect({
      servers: options.servers,
      ...(options.name ? { name: options.name } : {}),
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      pingInterval: 10_000,
      maxPingOut: 3,
    });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, config);
      const info = await jsm.streams.info(config.name);
      return new NatsEventBus(nc, jsm, options, config, info.created);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** For health checks. */
  get state(): NatsBusState {
    if (this.closing || this.nc.isClosed()) return 'closed';
    return this.reconnecting ? 'reconnecting' : 'connected';
  }

  async publish(event: PlatformEvent): Promise<void> {
    this.assertOpen();
    assertRoutableEvent(event);
    const task = this.store(event);
    this.inFlight.add(task);
    try {
      await task;
    } finally {
      this.inFlight.delete(task);
    }
  }

  async subscribe(filter: EventFilter, handler: EventHandler): Promise<EventSubscription> {
    this.assertOpen();
    assertValidFilter(filter);
    // The stream position now: the subscriber gets exactly the events stored after it, whether it
    // starts a new consumer there or joins a shared one that may still have older events in flight.
    const after = (await this.streamInfo()).state.last_seq;
    this.assertOpen();
    const subject = filterSubject(this.prefix, filter);
    let entry = this.feeds.get(subject);
    if (!entry) {
      const feed = new SubjectFeed({
        js: this.js,
        stream: this.stream,
        subjectPrefix: this.prefix,
        subject,
        report: this.report,
      });
      const created: FeedEntry = { feed, ready: feed.start(after), refs: 0 };
      entry = created;
      this.feeds.set(subject, created);
      created.ready.catch(() => {
        if (this.feeds.get(subject) === created) this.feeds.delete(subject);
      });
    }
    const shared = entry;
    shared.refs++;
    const remove = shared.feed.registry.add(filter, handler, after);
    try {
      await shared.ready;
    } catch (error) {
      remove();
      shared.refs--;
      throw error;
    }
    let active = true;
    return {
      unsubscribe: async () => {
        if (!active) return;
        active = false;
        remove();
        shared.refs--;
        if (shared.refs === 0 && this.feeds.get(subject) === shared) {
          this.feeds.delete(subject);
          await shared.feed.stop();
        }
      },
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const feeds = [...this.feeds.values()];
    this.feeds.clear();
    // Handlers stop first (feed.stop clears its subscribers at once), then in-flight publishes settle,
    // then the connection goes.
    await Promise.allSettled(
      feeds.map(async (entry) => {
        await entry.ready.catch(() => undefined);
        await entry.feed.stop();
      }),
    );
    await Promise.allSettled([...this.inFlight]);
    await this.nc.close();
  }

  private async store(event: PlatformEvent): Promise<void> {
    const subject = eventSubject(this.prefix, event);
    const body = encodeEvent(event);
    try {
      await this.js.publish(subject, body, { timeout: this.publishTimeoutMs });
    } catch (error) {
      // "No responders" means nothing listens on the subject: the stream is gone (a NATS server that
      // restarted without its store, or someone deleted it). Re-create it and try once more.
      if (!isNoResponders(error)) throw error;
      await ensureStream(this.jsm, this.streamConfig);
      await this.js.publish(subject, body, { timeout: this.publishTimeoutMs });
    }
  }

  /** The stream's info, re-creating the stream first if it has gone (deleted, or lost by the server). */
  private async streamInfo(): Promise<StreamInfo> {
    try {
      return await this.jsm.streams.info(this.stream);
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound)
        throw error;
      await ensureStream(this.jsm, this.streamConfig);
      return this.jsm.streams.info(this.stream);
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      switch (status.type) {
        case 'disconnect':
        case 'reconnecting':
          this.reconnecting = true;
          break;
        case 'reconnect':
          this.reconnecting = false;
          this.afterReconnect().catch((error: unknown) =>
            this.report(error, 'could not check the stream after reconnecting'),
          );
          break;
        case 'error':
          this.report(status.error, 'NATS connection error');
          break;
        default:
          break;
      }
    }
  }

  /**
   * The ordered consumers resume by themselves from the last sequence they saw. That is only right if
   * the stream is the same one: a server that came back without its store (memory storage, a new
   * volume) needs the stream re-made and every feed restarted on the new sequence numbers.
   */
  private async afterReconnect(): Promise<void> {
    await ensureStream(this.jsm, this.streamConfig);
    const info = await this.streamInfo();
    if (info.created === this.streamCreated || this.closing) return;
    this.streamCreated = info.created;
    this.report(new Error(`stream ${this.stream} was re-created`), 'restarting live feeds');
    await Promise.all(
      [...this.feeds.values()].map(async (entry) => {
        await entry.ready.catch(() => undefined);
        await entry.feed.restartAt(info.state.last_seq);
      }),
    );
  }

  private assertOpen(): void {
    if (this.closing) throw new DomainError('SHUTTING_DOWN', 'The event bus is closed.');
  }
}

function isNoResponders(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/no responders/i.test(e.message)) return true;
  }
  return false;
}
