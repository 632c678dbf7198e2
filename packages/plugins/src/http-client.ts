/**
 * The HTTP client the plugin sources share: one code path for production hosts and for the local
 * servers the tests start, so what is tested is what runs.
 *
 * - Identifies itself (Modrinth blocks generic user agents).
 * - Bounds time (per attempt) and size (JSON bodies; downloads are bounded by the caller's limit):
 *   a misbehaving API cannot hang a sync or fill the memory.
 * - Retries what is worth retrying (network errors, timeouts, 429, 5xx) with exponential backoff and
 *   jitter, honouring `Retry-After` up to a cap; any other status fails at once.
 * - Every failure is `DomainError('PLUGIN_SOURCE_UNAVAILABLE')` with the source, URL and reason.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '@minefleet/domain/errors';

export interface HttpClientOptions {
  /** Sent as User-Agent, e.g. `minefleet/0.1.0 (+https://example.org/contact)`. */
  userAgent: string;
  /** Per attempt, for API calls (connection, headers and body). Default 10 s. */
  timeoutMs?: number;
  /** For downloads, from request to last byte. Default 5 min. */
  downloadTimeoutMs?: number;
  /** Largest JSON body accepted. Default 8 MiB (a Modrinth project with every version is ~1 MiB). */
  maxResponseBytes?: number;
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** First backoff delay, doubled each retry. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Cap on any single wait, including a server's Retry-After. Default 15 s. */
  maxRetryDelayMs?: number;
}

export type UnavailableReason =
  'network' | 'timeout' | 'status' | 'too-large' | 'invalid-json' | 'invalid-payload';

export function sourceUnavailable(
  source: string,
  url: URL | string,
  reason: UnavailableReason,
  extra: Record<string, unknown> = {},
): DomainError {
  return new DomainError('PLUGIN_SOURCE_UNAVAILABLE', `${source}: ${reason} for ${String(url)}`, {
    source,
    url: String(url),
    reason,
    ...extra,
  });
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export class HttpClient {
  private readonly timeoutMs: number;
  private readonly downloadTimeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly retries: number;
  private readonly retryBaseDelayMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(
    private readonly source: string,
    private readonly options: HttpClientOptions,
  ) {
    if (!options.userAgent.trim()) throw new TypeError('HttpClient needs a User-Agent');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.downloadTimeoutMs = options.downloadTimeoutMs ?? 300_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
    this.retries = options.retries ?? 3;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 15_000;
  }

  /** The parsed JSON body, or null for 404 (the resource does not exist). */
  async getJson(url: URL): Promise<unknown> {
    return this.withRetries(url, async () => {
      const signal = AbortSignal.timeout(this.timeoutMs);
      const response = await this.fetch(url, 'application/json', signal);
      if (response.status === 404) {
        await response.body?.cancel();
        return { done: true, value: null };
      }
      if (!response.ok) return { done: false, response };
      const body = await this.readLimited(url, response, signal);
      try {
        return { done: true, value: JSON.parse(body.toString('utf8')) as unknown };
      } catch {
        throw sourceUnavailable(this.source, url, 'invalid-json');
      }
    });
  }

  /**
   * Opens a download and streams it, failing past `maxBytes` (the published size: a server that
   * sends more is not sending the file it described). Redirects are followed (Hangar and Modrinth
   * both redirect to a CDN). Retries happen only before the first byte.
   */
  async stream(url: URL, maxBytes: number, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const deadline = AbortSignal.timeout(this.downloadTimeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const response = await this.withRetries(url, async () => {
      const res = await this.fetch(url, '*/*', combined);
      return res.ok ? { done: true, value: res } : { done: false, response: res };
    });
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel();
      throw sourceUnavailable(this.source, url, 'too-large', {
        limit_bytes: maxBytes,
        declared_bytes: declared,
      });
    }
    const body = response.body;
    const source = this.source;
    return (async function* limited(): AsyncGenerator<Uint8Array> {
      if (!body) return;
      let total = 0;
      try {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          total += chunk.byteLength;
          if (total > maxBytes) throw sourceUnavailable(source, url, 'too-large', { limit_bytes: maxBytes });
          yield chunk;
        }
      } catch (error) {
        if (error instanceof DomainError) throw error;
        throw sourceUnavailable(source, url, combined.aborted && deadline.aborted ? 'timeout' : 'network', {
          cause: String(error),
        });
      }
    })();
  }

  private async fetch(url: URL, accept: string, signal: AbortSignal): Promise<Response> {
    try {
      return await fetch(url, {
        headers: { 'User-Agent': this.options.userAgent, Accept: accept },
        redirect: 'follow',
        signal,
      });
    } catch (error) {
      throw new AttemptFailed(signal.aborted ? 'timeout' : 'network', error);
    }
  }

  private async withRetries<T>(
    url: URL,
    attemptOnce: () => Promise<{ done: true; value: T } | { done: false; response: Response }>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let wait: number | undefined;
      let failure: DomainError;
      try {
        const result = await attemptOnce();
        if (result.done) return result.value;
        const { status } = result.response;
        await result.response.body?.cancel();
        failure = sourceUnavailable(this.source, url, 'status', { status, attempts: attempt + 1 });
        if (!RETRYABLE_STATUS.has(status)) throw failure;
        wait = retryAfterMs(result.response.headers.get('retry-after'));
      } catch (error) {
        if (!(error instanceof AttemptFailed)) throw error;
        failure = sourceUnavailable(this.source, url, error.reason, {
          attempts: attempt + 1,
          cause: String(error.cause),
        });
      }
      if (attempt >= this.retries) throw failure;
      // Jittered (50–100 % of the step): many Minefleet hosts retrying one API should not do it in lockstep.
      const backoff = this.retryBaseDelayMs * 2 ** attempt * (0.5 + Math.random() / 2);
      await sleep(Math.min(wait ?? backoff, this.maxRetryDelayMs));
    }
  }

  private async readLimited(url: URL, response: Response, signal: AbortSignal): Promise<Buffer> {
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > this.maxResponseBytes) {
      await response.body?.cancel();
      throw sourceUnavailable(this.source, url, 'too-large', { limit_bytes: this.maxResponseBytes });
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (response.body) {
      try {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          total += chunk.byteLength;
          if (total > this.maxResponseBytes) {
            throw sourceUnavailable(this.source, url, 'too-large', { limit_bytes: this.maxResponseBytes });
          }
          chunks.push(chunk);
        }
      } catch (error) {
        if (error instanceof DomainError) throw error;
        throw new AttemptFailed(signal.aborted ? 'timeout' : 'network', error);
      }
    }
    return Buffer.concat(chunks);
  }
}

/** A failed attempt that may be retried (as opposed to a final DomainError). */
class AttemptFailed extends Error {
  constructor(
    readonly reason: 'network' | 'timeout',
    override readonly cause: unknown,
  ) {
    super(reason);
  }
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Joins a path under a base URL that may itself have a path (`https://api.modrinth.com/v2`). */
export function apiUrl(
  base: string,
  path: string,
  query: Record<string, string | number | undefined> = {},
): URL {
  const url = new URL(path.replace(/^\/+/, ''), base.endsWith('/') ? base : `${base}/`);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}
