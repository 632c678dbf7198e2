import { ApiError, unwrap, type ErrorBody, type Schemas } from '@minefleet/api-client/client';
import { SseParser, type SseEvent } from '@minefleet/api-client/sse-parser';
import type { Context } from './context.js';
import { ConnectionError } from './errors.js';

export type LogLine = Schemas['LogLine'];

export interface StatusChange {
  ts: string;
  status: string;
  desired_state: string;
  status_reason?: string | null;
}

export interface FollowHandlers {
  line(line: LogLine): void;
  status(change: StatusChange): void;
  /** Connection news for humans (dropped, reconnecting, lines lost to a slow reader). */
  notice(text: string): void;
}

export interface FollowOptions {
  /** Lines of history printed before following (0: none). */
  tail: number;
  /** Instead of `tail`: history from this time (ISO-8601 or "15m", as the logs endpoint takes). */
  since?: string;
  signal?: AbortSignal;
  /** With no byte (not even the 15 s heartbeat) for this long, the connection is taken for dead. */
  idleTimeoutMs?: number;
}

const IDLE_TIMEOUT_MS = 45_000;
const MAX_BACKOFF_MS = 5_000;

/**
 * Where the output has got to: the time of the last printed line and the lines printed at that exact
 * time. History fetched after a (re)connect and the live stream overlap; this drops the overlap.
 */
class Cursor {
  private ts = '';
  private atTs = new Set<string>();

  get since(): string | undefined {
    return this.ts || undefined;
  }

  /** Whether a line is new; marks it printed if so. */
  admit(line: LogLine): boolean {
    const key = `${line.source}\u0000${line.message}`;
    if (this.ts) {
      const cmp = Date.parse(line.ts) - Date.parse(this.ts);
      if (cmp < 0) return false;
      if (cmp === 0) {
        if (this.atTs.has(key)) return false;
        this.atTs.add(key);
        return true;
      }
    }
    this.ts = line.ts;
    this.atTs = new Set([key]);
    return true;
  }
}

interface ConsolePayload {
  ts: string;
  data: { level: LogLine['level']; source: LogLine['source']; message: string };
}
interface StatusPayload {
  ts: string;
  data: { status: string; desired_state: string; status_reason?: string | null };
}

/**
 * Follows a server's console over Server-Sent Events until the signal aborts: prints `tail` lines of
 * history first, then live lines; when the connection drops it reconnects with backoff and fills the
 * gap from the captured logs. API refusals (401, 403, 404) end it with the API's error; a control plane
 * unreachable at the very first attempt ends it with a ConnectionError.
 */
export async function followConsole(
  ctx: Context,
  serverId: string,
  handlers: FollowHandlers,
  options: FollowOptions,
): Promise<void> {
  const token = ctx.requireToken();
  const cursor = new Cursor();
  let connectedOnce = false;
  let backoff = 500;
  while (!options.signal?.aborted) {
    const attempt = new AbortController();
    const abortAttempt = () => attempt.abort();
    options.signal?.addEventListener('abort', abortAttempt, { once: true });
    try {
      const response = await ctx.fetch(
        new Request(`${ctx.url}/api/v1/servers/${encodeURIComponent(serverId)}/console/stream`, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          signal: attempt.signal,
        }),
        { timeoutMs: null },
      );
      if (!response.ok || !response.body) {
        const body = (await response.json().catch(() => undefined)) as ErrorBody | undefined;
        const error = new ApiError(
          response.status,
          body?.error ? body : undefined,
          `HTTP ${response.status}`,
        );
        // 5xx and 429 may pass (a restarting control plane); anything else will not.
        if (response.status < 500 && response.status !== 429) throw error;
        throw new ConnectionError(ctx.url, error);
      }
      if (connectedOnce) handlers.notice('reconnected');
      await backfill(ctx, serverId, cursor, handlers, connectedOnce ? {} : options);
      connectedOnce = true;
      backoff = 500;
      await readStream(response.body, cursor, handlers, attempt, options.idleTimeoutMs ?? IDLE_TIMEOUT_MS);
      if (options.signal?.aborted) return;
      handlers.notice('console stream ended; reconnecting');
    } catch (error) {
      if (options.signal?.aborted) return;
      if (error instanceof ApiError) throw error;
      if (!connectedOnce) throw error;
      handlers.notice(
        `console stream lost (${(error as Error).message}); reconnecting in ${backoff / 1000}s`,
      );
      await sleep(backoff, options.signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    } finally {
      options.signal?.removeEventListener('abort', abortAttempt);
      attempt.abort();
    }
  }
}

/**
 * The history before the live stream: at the first connect the last `tail` lines (or those since
 * `since`); after a drop everything since the cursor.
 */
async function backfill(
  ctx: Context,
  serverId: string,
  cursor: Cursor,
  handlers: FollowHandlers,
  first: { tail?: number; since?: string },
): Promise<void> {
  const since = cursor.since ?? first.since;
  let query: { since: string; per_page: number } | { tail: number; per_page: number };
  if (since !== undefined) query = { since, per_page: 1000 };
  else if (first.tail) query = { tail: first.tail, per_page: Math.min(first.tail, 1000) };
  else return;
  const page = unwrap(
    await ctx.client.GET('/api/v1/servers/{id}/logs', { params: { path: { id: serverId }, query } }),
  );
  for (const line of page.logs) if (cursor.admit(line)) handlers.line(line);
}

async function readStream(
  body: ReadableStream<Uint8Array>,
  cursor: Cursor,
  handlers: FollowHandlers,
  attempt: AbortController,
  idleTimeoutMs: number,
): Promise<void> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  // A pending read of a fetch body is not always rejected when its request is aborted (seen on Node
  // 20: Ctrl-C then hung): race every read against the abort, and cancel the body on the way out.
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(attempt.signal.reason instanceof Error ? attempt.signal.reason : new Error('aborted'));
    if (attempt.signal.aborted) onAbort();
    else attempt.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  const watchdog = () => attempt.abort(new Error('no data from the server'));
  let idle = setTimeout(watchdog, idleTimeoutMs);
  try {
    for (;;) {
      const { value, done } = await Promise.race([reader.read(), aborted]);
      if (done) return;
      clearTimeout(idle);
      idle = setTimeout(watchdog, idleTimeoutMs);
      for (const event of parser.push(decoder.decode(value, { stream: true })))
        dispatch(event, cursor, handlers);
    }
  } finally {
    clearTimeout(idle);
    attempt.signal.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => {});
  }
}

function dispatch(event: SseEvent, cursor: Cursor, handlers: FollowHandlers): void {
  if (event.event === 'console') {
    const payload = JSON.parse(event.data) as ConsolePayload;
    const line: LogLine = { ts: payload.ts, ...payload.data };
    if (cursor.admit(line)) handlers.line(line);
  } else if (event.event === 'status') {
    const payload = JSON.parse(event.data) as StatusPayload;
    handlers.status({ ts: payload.ts, ...payload.data });
  } else if (event.event === 'dropped') {
    const { count } = JSON.parse(event.data) as { count: number };
    handlers.notice(`${count} console line(s) skipped: this terminal fell behind`);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
