import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { decodeEvent } from './event-codec.js';
import { SubscriberRegistry, type EventBusErrorReporter } from './subscriber-registry.js';

export interface SubjectFeedOptions {
  js: JetStreamClient;
  stream: string;
  subjectPrefix: string;
  /** The NATS filter subject, e.g. `minefleet.<tenant>.<server>.*`. */
  subject: string;
  report: EventBusErrorReporter;
}

/** Pull batch of the ordered consumer; a refill is requested at 75 % so delivery never stalls. */
const BATCH = 512;
/** Pull request lifetime; the client's idle heartbeat is half of it, so a dead consumer is noticed in ~10 s. */
const PULL_EXPIRES_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * One ephemeral ordered JetStream consumer for one filter subject, shared by every local subscriber
 * of that subject (500 WebSocket clients watching 20 servers make 20 consumers, not 500).
 *
 * The ordered consumer has no acks and no server-side state worth keeping; the client recreates it
 * from the last stream sequence it saw when it detects a gap, a missed heartbeat or a reconnect, so
 * a short NATS outage loses nothing that the stream still retains. If the client gives up anyway
 * (e.g. the stream was deleted and re-made), the feed reopens itself with backoff.
 */
export class SubjectFeed {
  readonly registry: SubscriberRegistry;
  private readonly options: SubjectFeedOptions;
  private consumer: Consumer | null = null;
  private messages: ConsumerMessages | null = null;
  /** Stream sequence of the last message seen; reopening resumes after it. */
  private lastSeq = 0;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelayMs = 500;

  constructor(options: SubjectFeedOptions) {
    this.options = options;
    this.registry = new SubscriberRegistry(options.report);
  }

  /** Starts delivering the events stored after stream sequence `afterSeq`. */
  async start(afterSeq: number): Promise<void> {
    this.lastSeq = afterSeq;
    await this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.registry.clear();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const { messages, consumer } = this;
    this.messages = null;
    this.consumer = null;
    if (messages) await messages.close();
    // The server would drop the ephemeral consumer after its inactivity threshold anyway; deleting it
    // now frees it at once. Best effort: the connection may already be gone.
    await consumer?.delete().catch(() => undefined);
  }

  /**
   * The stream was re-created (a NATS server that lost its store, an operator who deleted it): its
   * sequence numbers started again, so the client's cursor and our subscribers' positions mean
   * nothing. Reopen live at the new stream's end; events stored in between may be missed, never
   * delivered twice (at-most-once).
   */
  async restartAt(lastSeq: number): Promise<void> {
    if (this.stopped) return;
    const { messages, consumer } = this;
    this.messages = null;
    this.consumer = null;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (messages) await messages.close();
    await consumer?.delete().catch(() => undefined);
    this.registry.resetPositions();
    this.lastSeq = lastSeq;
    await this.open();
  }

  private async open(): Promise<void> {
    const { js, stream, subject } = this.options;
    const consumer = await js.consumers.get(stream, {
      filter_subjects: subject,
      opt_start_seq: this.lastSeq + 1,
    });
    if (this.stopped) {
      await consumer.delete().catch(() => undefined);
      return;
    }
    const messages = await consumer.consume({
      max_messages: BATCH,
      expires: PULL_EXPIRES_MS,
      callback: (msg) => this.onMessage(msg),
    });
    if (this.stopped) {
      await messages.close();
      await consumer.delete().catch(() => undefined);
      return;
    }
    this.consumer = consumer;
    this.messages = messages;
    this.restartDelayMs = 500;
    void messages.closed().then(
      (error) => this.onClosed(messages, error),
      (error: unknown) => this.onClosed(messages, error),
    );
  }

  private onMessage(msg: JsMsg): void {
    // Never throw from here: the client stops a consumer whose callback throws.
    try {
      this.lastSeq = msg.seq;
      const event = decodeEvent(this.options.subjectPrefix, msg.subject, msg.string());
      this.registry.dispatch(event, msg.seq);
    } catch (error) {
      this.options.report(error, `undecodable event on ${msg.subject} (seq ${msg.seq})`);
    }
  }

  private onClosed(messages: ConsumerMessages, error: unknown): void {
    if (this.stopped || messages !== this.messages) return;
    this.messages = null;
    this.options.report(
      error ?? new Error('consumer stopped'),
      `feed ${this.options.subject} stopped; reopening`,
    );
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, MAX_RESTART_DELAY_MS);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.open().catch((error: unknown) => {
        this.options.report(error, `feed ${this.options.subject} could not reopen`);
        this.scheduleRestart();
      });
    }, delay);
    this.restartTimer.unref();
  }
}
