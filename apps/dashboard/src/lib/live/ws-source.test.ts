import { describe, expect, it, vi } from 'vitest';
import type { ConnectionState, LiveEvent } from './live-source.js';
import { LiveHub } from './live-hub.svelte.js';
import { WebSocketLiveSource, type SocketLike } from './ws-source.js';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: unknown[] = [];
  private listeners = new Map<string, ((e: Event) => void)[]>();
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.readyState = 3;
    this.emit('close', Object.assign(new Event('close'), { code }));
  }
  addEventListener(type: string, listener: (e: Event) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  open() {
    this.readyState = 1;
    this.emit('open', new Event('open'));
  }
  receive(message: unknown) {
    this.emit('message', Object.assign(new Event('message'), { data: JSON.stringify(message) }));
  }
  emit(type: string, event: Event) {
    for (const l of this.listeners.get(type) ?? []) l(event);
  }
}

describe('WebSocketLiveSource', () => {
  it('authenticates first, subscribes the union of streams per server, routes events, unsubscribes what no one wants', () => {
    const socket = new FakeSocket('ws://cp/api/v1/ws');
    socket.readyState = 1;
    const source = new WebSocketLiveSource(
      'ws://cp/api/v1/ws',
      () => 'tok',
      () => socket,
      socket,
    );
    expect(socket.sent[0]).toEqual({ type: 'auth', token: 'tok' });

    const a: LiveEvent[] = [];
    const b: LiveEvent[] = [];
    const subA = source.subscribe('s1', ['console'], { onEvent: (e) => a.push(e) });
    const subB = source.subscribe('s1', ['status', 'console'], { onEvent: (e) => b.push(e) });
    expect(socket.sent.slice(1)).toEqual([
      { type: 'subscribe', server_id: 's1', streams: ['console'] },
      { type: 'subscribe', server_id: 's1', streams: ['status'] },
    ]);

    socket.receive({
      type: 'console',
      server_id: 's1',
      ts: 't',
      data: { level: 'info', source: 'stdout', message: 'x' },
    });
    socket.receive({
      type: 'status',
      server_id: 's1',
      ts: 't',
      data: { status: 'running', desired_state: 'running' },
    });
    socket.receive({ type: 'console', server_id: 'other', ts: 't', data: {} });
    expect(a.map((e) => e.type)).toEqual(['console']);
    expect(b.map((e) => e.type)).toEqual(['console', 'status']);

    subB.unsubscribe();
    expect(socket.sent.at(-1)).toEqual({ type: 'unsubscribe', server_id: 's1', streams: ['status'] });
    subA.unsubscribe();
    expect(socket.sent.at(-1)).toEqual({ type: 'unsubscribe', server_id: 's1', streams: ['console'] });
  });

  it('reconnects by itself and subscribes again; an auth refusal (4401) is final', () => {
    vi.useFakeTimers();
    try {
      const sockets: FakeSocket[] = [];
      const factory = (url: string) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      };
      const source = new WebSocketLiveSource('ws://cp/api/v1/ws', () => 'tok', factory);
      const states: ConnectionState[] = [];
      source.subscribe('s1', ['metrics'], { onEvent: () => {}, onState: (s) => states.push(s) });
      sockets[0]!.open();
      expect(sockets[0]!.sent).toEqual([
        { type: 'auth', token: 'tok' },
        { type: 'subscribe', server_id: 's1', streams: ['metrics'] },
      ]);
      sockets[0]!.close(1006);
      expect(states.at(-1)).toBe('reconnecting');
      vi.advanceTimersByTime(20_000);
      sockets[1]!.open();
      expect(sockets[1]!.sent).toEqual([
        { type: 'auth', token: 'tok' },
        { type: 'subscribe', server_id: 's1', streams: ['metrics'] },
      ]);
      expect(states.at(-1)).toBe('open');
      sockets[1]!.close(4401);
      expect(states.at(-1)).toBe('denied');
      vi.advanceTimersByTime(60_000);
      expect(sockets).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('WebSocketLiveSource when idle', () => {
  it('does not reconnect a socket nobody listens to, and reconnects on the next subscription', () => {
    vi.useFakeTimers();
    try {
      const sockets: FakeSocket[] = [];
      const source = new WebSocketLiveSource(
        'ws://cp/api/v1/ws',
        () => 'tok',
        (url) => {
          const s = new FakeSocket(url);
          sockets.push(s);
          return s;
        },
      );
      sockets[0]!.open();
      sockets[0]!.close(4408);
      vi.advanceTimersByTime(60_000);
      expect(sockets).toHaveLength(1);
      source.subscribe('s1', ['status'], { onEvent: () => {} });
      expect(sockets).toHaveLength(2);
      sockets[1]!.open();
      expect(sockets[1]!.sent).toEqual([
        { type: 'auth', token: 'tok' },
        { type: 'subscribe', server_id: 's1', streams: ['status'] },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('LiveHub', () => {
  it('uses the WebSocket when the control plane accepts it', async () => {
    let socket: FakeSocket | undefined;
    const hub = new LiveHub({
      wsUrl: 'ws://cp/api/v1/ws',
      streamUrl: () => 'http://cp/stream',
      token: () => 't',
      socketFactory: (url) => (socket = new FakeSocket(url)),
    });
    socket!.open();
    expect((await hub.ready).transport).toBe('websocket');
    expect(hub.transport).toBe('websocket');
  });

  it('falls back to the SSE stream when the upgrade is refused (no /ws route yet)', async () => {
    let socket: FakeSocket | undefined;
    const hub = new LiveHub({
      wsUrl: 'ws://cp/api/v1/ws',
      streamUrl: () => 'http://cp/stream',
      token: () => 't',
      socketFactory: (url) => (socket = new FakeSocket(url)),
    });
    socket!.emit('error', new Event('error'));
    expect((await hub.ready).transport).toBe('sse');
  });
});
