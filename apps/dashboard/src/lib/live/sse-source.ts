import { SseParser } from '@minefleet/api-client/sse-parser';
import { ApiError } from '../api.js';
import {
  backoffDelay,
  type LiveEvent,
  type LiveSource,
  type LiveStream,
  type SubscribeOptions,
  type Subscription,
} from './live-source.js';

export interface SseSourceOptions {
  /** `/api/v1/servers/{id}/console/stream` as an absolute URL. */
  streamUrl: (serverId: string) => string;
  token: () => string | undefined;
  fetch?: typeof fetch;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

/**
 * Live events over the control plane's Server-Sent Events stream. EventSource cannot send an
 * Authorization header, so this reads the stream with fetch and a ReadableStream reader. One stream per
 * subscribed server (console + status); it reconnects by itself with backoff until unsubscribed.
 */
export class SseLiveSource implements LiveSource {
  readonly transport = 'sse' as const;
  readonly streams: readonly LiveStream[] = ['status', 'console'];
  private readonly active = new Set<() => void>();

  constructor(private readonly options: SseSourceOptions) {}

  subscribe(serverId: string, streams: readonly LiveStream[], options: SubscribeOptions): Subscription {
    const wanted = new Set(streams);
    const doFetch = this.options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const setTimer = this.options.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    const clearTimer = this.options.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    let stopped = false;
    let controller: AbortController | undefined;
    let timer: unknown;
    let attempt = 0;

    const run = async () => {
      if (stopped) return;
      controller = new AbortController();
      options.onState?.(attempt === 0 ? 'connecting' : 'reconnecting');
      try {
        const token = this.options.token();
        const response = await doFetch(this.options.streamUrl(serverId), {
          headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          signal: controller.signal,
          cache: 'no-store',
        });
        if (!response.ok || !response.body) {
          const body = (await response.json().catch(() => undefined)) as ConstructorParameters<
            typeof ApiError
          >[1];
          const error = new ApiError(response.status, body, `HTTP ${response.status}`);
          // Refusals (no right, no such server, signed out) will not heal by retrying.
          if ([400, 401, 403, 404].includes(response.status)) {
            stopped = true;
            options.onState?.('denied', error.code);
            return;
          }
          throw error;
        }
        attempt = 0;
        options.onState?.('open');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) {
            const event = toEvent(serverId, message.event, message.data);
            if (event && (event.type === 'dropped' || wanted.has(event.type as LiveStream)))
              options.onEvent(event);
          }
        }
      } catch (error) {
        if (stopped) return;
        void error;
      }
      if (stopped) return;
      options.onState?.('reconnecting');
      timer = setTimer(() => void run(), backoffDelay(attempt++));
    };

    const stop = () => {
      stopped = true;
      clearTimer(timer);
      controller?.abort();
      this.active.delete(stop);
      options.onState?.('closed');
    };
    this.active.add(stop);
    void run();
    return { unsubscribe: stop };
  }

  close(): void {
    for (const stop of [...this.active]) stop();
  }
}

function toEvent(serverId: string, name: string, data: string): LiveEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  if (name === 'dropped') {
    return {
      type: 'dropped',
      server_id: serverId,
      ts: new Date().toISOString(),
      data: parsed as { count: number },
    };
  }
  const envelope = parsed as { type?: string; server_id?: string; ts?: string; data?: unknown };
  const type = envelope.type ?? name;
  if (type !== 'status' && type !== 'console' && type !== 'metrics' && type !== 'backup') return undefined;
  return {
    type,
    server_id: envelope.server_id ?? serverId,
    ts: envelope.ts ?? new Date().toISOString(),
    data: envelope.data,
  } as LiveEvent;
}
