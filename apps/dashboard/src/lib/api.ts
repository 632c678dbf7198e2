import {
  ApiError,
  createMinefleetClient,
  unwrap,
  type ErrorBody,
  type MinefleetClient,
} from '@minefleet/api-client/client';

export { ApiError, unwrap };

/**
 * The dashboard's view of the API: the typed client for every route in the OpenAPI document, plus an
 * untyped `raw` request for routes colleagues are still adding (backups, plugins, metrics). A raw call
 * answers exactly like a typed one (data, or an ApiError with the API's code), so a page can switch to
 * the typed client once the route appears in openapi.gen.ts without changing its error handling.
 */
export interface Api {
  client: MinefleetClient;
  raw<T>(method: string, path: string, body?: unknown, init?: { signal?: AbortSignal }): Promise<T>;
  /** Absolute URL of an API path (for downloads and streams). */
  url(path: string): string;
  token(): string | undefined;
}

/** An ApiError for a failure that never reached the API (offline, DNS, refused connection). */
export function networkError(cause: unknown): ApiError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const body = {
    error: { code: 'NETWORK_ERROR', message: `Could not reach the Minefleet server (${message}).` },
  } as unknown as ErrorBody;
  const error = new ApiError(0, body, message);
  // The client's constructor maps unknown bodies to INTERNAL; this one is the network, say so.
  Object.defineProperty(error, 'code', { value: 'NETWORK_ERROR' });
  return error;
}

/** Whether an error means "this control plane has no such route yet" (a feature not deployed). */
export function isMissingRoute(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'ROUTE_NOT_FOUND';
}

/** Calls the typed client and unwraps, turning a fetch failure into a NETWORK_ERROR ApiError. */
export async function call<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw networkError(error);
  }
  return unwrap(result);
}

export function createApi(options: {
  baseUrl: string;
  token: () => string | undefined;
  fetch?: typeof fetch;
}): Api {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = options.baseUrl.replace(/\/+$/, '');
  const client = createMinefleetClient({ baseUrl: base, token: options.token, fetch: doFetch });
  return {
    client,
    token: options.token,
    url: (path) => `${base}/api/v1${path}`,
    async raw<T>(method: string, path: string, body?: unknown, init: { signal?: AbortSignal } = {}) {
      const headers: Record<string, string> = {};
      const token = options.token();
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await doFetch(`${base}/api/v1${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          ...(init.signal ? { signal: init.signal } : {}),
        });
      } catch (error) {
        if (error instanceof DOMException && error.name === 'AbortError') throw error;
        throw networkError(error);
      }
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!response.ok) {
        const errorBody =
          parsed && typeof parsed === 'object' && 'error' in parsed ? (parsed as ErrorBody) : undefined;
        throw new ApiError(response.status, errorBody, `HTTP ${response.status}`);
      }
      return parsed as T;
    },
  };
}
