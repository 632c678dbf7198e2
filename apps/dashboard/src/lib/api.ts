import {
  ApiError,
  createMinefleetClient,
  unwrap,
  type ErrorBody,
  type MinefleetClient,
} from '@minefleet/api-client/client';

export { ApiError, unwrap };

/**
 * The dashboard's view of the API: the typed client (every route of the OpenAPI document), plus the
 * URL builder and token for what fetch must do by hand (downloads, the SSE stream).
 */
export interface Api {
  client: MinefleetClient;
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
  };
}
