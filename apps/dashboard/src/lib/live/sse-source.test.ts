import { describe, expect, it, vi } from 'vitest';
import type { ConnectionState, LiveEvent } from './live-source.js';
import { SseLiveSource } from './sse-source.js';

/** A streaming response whose chunks the test pushes, like the control plane's SSE stream. */
function streamingResponse() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  return {
    response: new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    push: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

const event = (type: string, data: unknown) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, server_id: 's1', ts: '2025-01-01T00:00:00.000Z', data })}\n\n`;

describe('SseLiveSource', () => {
  it('sends the bearer token, delivers console and status events, and reconnects when the stream ends', async () => {
    const streams = [streamingResponse(), streamingResponse()];
    const fetchMock = vi.fn(
      async (_url: RequestInfo | URL, _init?: RequestInit) => streams.shift()!.response,
    );
    const first = streams[0]!;
    const second = streams[1]!;
    const timers: (() => void)[] = [];
    const source = new SseLiveSource({
      streamUrl: (id) => `http://cp/api/v1/servers/${id}/console/stream`,
      token: () => 'tok',
      fetch: fetchMock as unknown as typeof fetch,
      setTimeout: (fn) => timers.push(fn),
      clearTimeout: () => {},
    });
    const events: LiveEvent[] = [];
    const states: ConnectionState[] = [];
    const sub = source.subscribe('s1', ['console', 'status'], {
      onEvent: (e) => events.push(e),
      onState: (s) => states.push(s),
    });

    await vi.waitFor(() => expect(states).toContain('open'));
    expect(fetchMock.mock.calls[0]![0]).toBe('http://cp/api/v1/servers/s1/console/stream');
    expect((fetchMock.mock.calls[0]![1]!.headers as Record<string, string>).authorization).toBe('Bearer tok');

    first.push(': connected\n\n' + event('console', { level: 'info', source: 'stdout', message: 'hello' }));
    first.push(
      event('status', { status: 'running', desired_state: 'running' }) +
        'event: dropped\ndata: {"count":3}\n\n',
    );
    await vi.waitFor(() => expect(events).toHaveLength(3));
    expect(events.map((e) => e.type)).toEqual(['console', 'status', 'dropped']);

    first.end();
    await vi.waitFor(() => expect(states.at(-1)).toBe('reconnecting'));
    timers.shift()!();
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2));
    second.push(event('console', { level: 'info', source: 'stdout', message: 'after reconnect' }));
    await vi.waitFor(() => expect(events).toHaveLength(4));

    sub.unsubscribe();
    expect(states.at(-1)).toBe('closed');
  });

  it('gives up on a refusal (no such server, no right) instead of retrying forever', async () => {
    const fetchMock = vi.fn(
      async () =>
        new Response(JSON.stringify({ error: { code: 'FORBIDDEN', message: 'no' } }), { status: 403 }),
    );
    const source = new SseLiveSource({
      streamUrl: () => 'http://cp/x',
      token: () => 't',
      fetch: fetchMock as unknown as typeof fetch,
    });
    const states: [ConnectionState, string | undefined][] = [];
    source.subscribe('s1', ['console'], { onEvent: () => {}, onState: (s, d) => states.push([s, d]) });
    await vi.waitFor(() => expect(states.at(-1)).toEqual(['denied', 'FORBIDDEN']));
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
