import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './openapi.gen.js';

export type Schemas = components['schemas'];
export type Server = Schemas['Server'];
export type ErrorBody = Schemas['ErrorBody'];
export type ErrorCode = ErrorBody['error']['code'];
export type MinefleetClient = Client<paths>;

/** An error answer of the API, with its stable code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'NETWORK_ERROR';
  readonly details: Record<string, unknown> | undefined;
  readonly requestId: string | undefined;

  constructor(status: number, body: ErrorBody | undefined, fallback: string) {
    super(body?.error.message ?? fallback);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.error.code ?? 'INTERNAL';
    this.details = body?.error.details;
    this.requestId = body?.error.request_id;
  }
}

export interface ClientOptions {
  baseUrl: string;
  /** A session token or an API key; a function is asked on every request (tokens can change). */
  token?: string | (() => string | undefined) | undefined;
  fetch?: typeof fetch;
}

/**
 * The typed Minefleet client: paths, parameters, bodies and answers all come from the OpenAPI document
 * the control plane generates from its route schemas (scripts/gen-api-client.ts).
 */
export function createMinefleetClient(options: ClientOptions): MinefleetClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const auth: Middleware = {
    onRequest({ request }) {
      const token = typeof options.token === 'function' ? options.token() : options.token;
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}

/** The data of a response, or an ApiError carrying the API's error code. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = result.error as ErrorBody | undefined;
    throw new ApiError(
      result.response.status,
      body && typeof body === 'object' && 'error' in body ? body : undefined,
      `HTTP ${result.response.status}`,
    );
  }
  return result.data as T;
}
