import { LiveHub } from './lib/live/live-hub.svelte.js';
import type { AppContext } from './lib/app-context.js';
import { Router } from './lib/router.svelte.js';
import { Session } from './lib/session.svelte.js';

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  headers: Headers;
}

type Handler = (request: Recorded) => { status?: number; body?: unknown } | undefined;

/**
 * A fetch that answers like the control plane from a table of `METHOD /path` handlers and records every
 * request. Component tests check what the forms send and how they show answers; the browser tests run
 * the same pages against the real control plane.
 */
export function fakeApi(routes: Record<string, Handler | { status?: number; body?: unknown }>) {
  const requests: Recorded[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    const text = request.body ? await request.text() : '';
    const recorded: Recorded = {
      method: request.method,
      path: url.pathname + url.search,
      body: text ? parseBody(text) : undefined,
      headers: request.headers,
    };
    requests.push(recorded);
    const key = `${request.method} ${decodeURIComponent(url.pathname)}`;
    const route = routes[key];
    const answer = typeof route === 'function' ? route(recorded) : route;
    if (!answer) {
      return json(404, { error: { code: 'ROUTE_NOT_FOUND', message: `No route ${key}.` } });
    }
    return json(answer.status ?? 200, answer.body ?? {});
  };
  return { fetch: fetchImpl, requests };
}

/** JSON bodies as values; anything else (an upload's raw bytes) as its text. */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

export function memoryStorage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> {
  const map = new Map<string, string>();
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

/** An app context over a fake API; the live hub never finds a WebSocket, like today's control plane. */
export function testApp(fetchImpl: typeof fetch, options: { token?: string } = {}): AppContext {
  const storage = memoryStorage();
  if (options.token)
    storage.setItem('minefleet.session', JSON.stringify({ token: options.token, expiresAt: null }));
  const session = new Session(storage, 'http://minefleet.test', fetchImpl);
  const router = new Router(undefined);
  const hub = new LiveHub({
    wsUrl: 'ws://minefleet.test/api/v1/ws',
    streamUrl: (id) => `http://minefleet.test/api/v1/servers/${id}/console/stream`,
    token: () => session.token,
    fetch: fetchImpl,
    socketFactory: () => {
      throw new Error('no WebSocket in this test');
    },
  });
  return { session, router, hub: () => hub, storage };
}
