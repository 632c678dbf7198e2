/**
 * The WebSocket protocol of `/api/v1/ws` (docs/websocket.md is the full description). Client
 * messages are JSON objects with a `type`; server messages are `{type, server_id?, ts, data}`.
 */

/** Streams a client subscribes to per server. Backup progress comes with any subscription. */
export const LIVE_STREAMS = ['status', 'metrics', 'console', 'backup'] as const;
export type LiveStream = (typeof LIVE_STREAMS)[number];

/** Close codes, documented in docs/websocket.md. 4xxx mirror the HTTP status of the same meaning. */
export const CLOSE = {
  /** The client closed, or the control plane closed normally. */
  normal: 1000,
  /** The control plane is shutting down (reconnect to another replica or later). */
  goingAway: 1001,
  /** A message too large (set by the WebSocket library). */
  tooBig: 1009,
  /** Something broke on the server side. */
  internal: 1011,
  /** Too many connections on this replica; retry later. */
  tryAgainLater: 1013,
  /** The first message was not `auth`, or not JSON. */
  protocolError: 4400,
  /** No valid auth in time, the token was refused, or it expired (`reason` says which). Do not retry with it. */
  unauthenticated: 4401,
  /** A re-auth named another user or tenant than the connection's. */
  forbidden: 4403,
  /** The peer stopped answering pings, or sat idle without subscriptions. */
  timeout: 4408,
  /** Too many messages from the client. */
  tooManyMessages: 4429,
} as const;

export type ClientMessage =
  | { type: 'auth'; token: string; id?: string }
  | { type: 'subscribe'; server_id: string; streams: string[]; id?: string }
  | { type: 'unsubscribe'; server_id: string; streams?: string[]; id?: string }
  | { type: 'command'; server_id: string; command: string; id?: string }
  | { type: 'ping'; id?: string };

export type ParsedMessage =
  { ok: true; message: ClientMessage } | { ok: false; problem: string; id?: string };

const MAX_ID = 100;

/** Validates one client message's shape (values are checked by the services: ids, roles, commands). */
export function parseClientMessage(raw: string): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, problem: 'A message must be a JSON object.' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, problem: 'A message must be a JSON object.' };
  }
  const m = value as Record<string, unknown>;
  const id = typeof m.id === 'string' && m.id.length <= MAX_ID ? m.id : undefined;
  const withId = <T extends object>(message: T) => (id === undefined ? message : { ...message, id });
  const fail = (problem: string): ParsedMessage =>
    id === undefined ? { ok: false, problem } : { ok: false, problem, id };
  const serverId = typeof m.server_id === 'string' ? m.server_id : undefined;
  const streams = (v: unknown) =>
    Array.isArray(v) && v.length <= LIVE_STREAMS.length * 2 && v.every((s) => typeof s === 'string');
  switch (m.type) {
    case 'auth':
      if (typeof m.token !== 'string' || m.token.length === 0 || m.token.length > 4096)
        return fail('auth needs a token.');
      return { ok: true, message: withId({ type: 'auth', token: m.token }) };
    case 'subscribe':
      if (!serverId) return fail('subscribe needs a server_id.');
      if (!streams(m.streams) || (m.streams as string[]).length === 0)
        return fail('subscribe needs streams: ["status", "metrics", "console"].');
      return {
        ok: true,
        message: withId({ type: 'subscribe', server_id: serverId, streams: m.streams as string[] }),
      };
    case 'unsubscribe':
      if (!serverId) return fail('unsubscribe needs a server_id.');
      if (m.streams !== undefined && !streams(m.streams))
        return fail('streams must be a list of stream names.');
      return {
        ok: true,
        message: withId({
          type: 'unsubscribe',
          server_id: serverId,
          ...(m.streams !== undefined ? { streams: m.streams as string[] } : {}),
        }),
      };
    case 'command':
      if (!serverId) return fail('command needs a server_id.');
      if (typeof m.command !== 'string') return fail('command needs a command.');
      return { ok: true, message: withId({ type: 'command', server_id: serverId, command: m.command }) };
    case 'ping':
      return { ok: true, message: withId({ type: 'ping' }) };
    default:
      return fail('Unknown message type; expected auth, subscribe, unsubscribe, command or ping.');
  }
}
