import type { Schemas } from '@minefleet/api-client/client';
import { call, type Api } from '../api.js';
import { describeError, type ShownError } from '../errors.js';
import type { ConnectionState, LiveSource, Subscription } from './live-source.js';

export interface ConsoleLine {
  /** Monotonic, for keyed rendering. */
  id: number;
  ts: string;
  level: string;
  source: string;
  message: string;
}

export interface ConsoleStoreOptions {
  api: Api;
  source: Promise<LiveSource>;
  serverId: string;
  /** Lines kept in memory; older ones are dropped (the Logs tab has the full history). */
  maxLines?: number;
  /** Lines from the captured log shown before live output. */
  backlog?: number;
  /** Incoming lines are applied in batches, so a burst of output costs one render. */
  flushMs?: number;
  historyStorage?: Pick<Storage, 'getItem' | 'setItem'> | undefined;
}

const HISTORY_MAX = 100;

/**
 * A server's console: the recent backlog, then live lines from the LiveSource, bounded to `maxLines`,
 * plus the command input's history (↑/↓ like a shell, kept per server for the browser session).
 */
export class ConsoleStore {
  lines = $state.raw<ConsoleLine[]>([]);
  state = $state<ConnectionState>('connecting');
  deniedCode = $state<string | undefined>(undefined);
  /** Lines the transport dropped because we fell behind. */
  dropped = $state(0);
  sendError = $state<ShownError | undefined>(undefined);
  sending = $state(false);
  history = $state.raw<string[]>([]);

  private nextId = 1;
  private pending: ConsoleLine[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private subscription: Subscription | undefined;
  private historyIndex = -1;
  private stopped = false;
  private readonly maxLines: number;

  constructor(private readonly options: ConsoleStoreOptions) {
    this.maxLines = options.maxLines ?? 5000;
    try {
      const stored = options.historyStorage?.getItem(this.historyKey());
      if (stored) this.history = (JSON.parse(stored) as string[]).slice(-HISTORY_MAX);
    } catch {
      // unreadable history is no reason to fail the console
    }
  }

  async start(): Promise<void> {
    const source = await this.options.source;
    if (this.stopped) return;
    // Subscribe first and hold live lines until the backlog is in, so nothing falls in between.
    let backlogLoaded = false;
    const early: ConsoleLine[] = [];
    this.subscription = source.subscribe(this.options.serverId, ['console'], {
      onEvent: (event) => {
        if (event.type === 'dropped') {
          this.dropped += event.data.count;
          return;
        }
        if (event.type !== 'console') return;
        const line = { id: this.nextId++, ts: event.ts, ...event.data };
        if (backlogLoaded) this.enqueue(line);
        else early.push(line);
      },
      onState: (state, detail) => {
        this.state = state;
        if (state === 'denied') this.deniedCode = detail;
      },
    });
    try {
      const backlog = await call(
        this.options.api.client.GET('/api/v1/servers/{id}/logs', {
          params: {
            path: { id: this.options.serverId },
            query: { tail: this.options.backlog ?? 200, per_page: 1000 },
          },
        }),
      );
      const seen = new Set(backlog.logs.map((l: Schemas['LogLine']) => `${l.ts}|${l.message}`));
      const lines = backlog.logs.map((l: Schemas['LogLine']) => ({ id: this.nextId++, ...l }));
      this.lines = lines.slice(-this.maxLines);
      for (const line of early) if (!seen.has(`${line.ts}|${line.message}`)) this.pending.push(line);
    } catch {
      // No backlog (e.g. the server was never started): live lines still show.
      this.pending.push(...early);
    }
    backlogLoaded = true;
    this.flush();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.subscription?.unsubscribe();
  }

  clear(): void {
    this.lines = [];
  }

  async send(command: string): Promise<boolean> {
    const text = command.trim();
    if (!text) return false;
    this.sending = true;
    this.sendError = undefined;
    try {
      await call(
        this.options.api.client.POST('/api/v1/servers/{id}/commands', {
          params: { path: { id: this.options.serverId } },
          body: { command: text },
        }),
      );
      if (this.history.at(-1) !== text) this.history = [...this.history, text].slice(-HISTORY_MAX);
      this.historyIndex = -1;
      try {
        this.options.historyStorage?.setItem(this.historyKey(), JSON.stringify(this.history));
      } catch {
        // storage full or disabled: history stays in memory
      }
      return true;
    } catch (error) {
      this.sendError = describeError(error);
      return false;
    } finally {
      this.sending = false;
    }
  }

  /** The previous (`-1`) or next (`+1`) command in history, or '' past the newest. */
  recall(direction: -1 | 1): string {
    if (this.history.length === 0) return '';
    if (this.historyIndex === -1) this.historyIndex = direction === -1 ? this.history.length - 1 : -1;
    else this.historyIndex += direction;
    if (this.historyIndex < 0) this.historyIndex = 0;
    if (this.historyIndex >= this.history.length) {
      this.historyIndex = -1;
      return '';
    }
    return this.history[this.historyIndex] ?? '';
  }

  private enqueue(line: ConsoleLine) {
    this.pending.push(line);
    // A producer faster than we render must not grow memory without bound either.
    if (this.pending.length > this.maxLines) this.pending.splice(0, this.pending.length - this.maxLines);
    this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 50);
  }

  private flush() {
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const merged = this.lines.concat(this.pending);
    this.pending = [];
    this.lines = merged.length > this.maxLines ? merged.slice(merged.length - this.maxLines) : merged;
  }

  private historyKey() {
    return `minefleet.console-history.${this.options.serverId}`;
  }
}
