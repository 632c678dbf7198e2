import { describe, expect, it, vi } from 'vitest';
import { createApi } from '../api.js';
import { fakeApi, memoryStorage } from '../../test-helpers.js';
import type { LiveEvent, LiveSource, SubscribeOptions } from './live-source.js';
import { ConsoleStore } from './console-store.svelte.js';

/** A LiveSource the test drives by hand. */
function manualSource() {
  const listeners: SubscribeOptions[] = [];
  const source: LiveSource = {
    transport: 'sse',
    streams: ['console', 'status'],
    subscribe: (_id, _streams, options) => {
      listeners.push(options);
      options.onState?.('open');
      return { unsubscribe: () => options.onState?.('closed') };
    },
    close: () => {},
  };
  const emit = (message: string, ts = new Date().toISOString()) => {
    const event: LiveEvent = {
      type: 'console',
      server_id: 's1',
      ts,
      data: { level: 'info', source: 'stdout', message },
    };
    for (const l of listeners) l.onEvent(event);
  };
  return { source, emit, listeners };
}

const SERVER = '11111111-1111-4111-8111-111111111111';

describe('ConsoleStore', () => {
  it('shows the backlog, then live lines without duplicates, bounded to maxLines', async () => {
    const { source, emit } = manualSource();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const api = fakeApi({
      [`GET /api/v1/servers/${SERVER}/logs`]: () => ({
        body: {
          logs: [
            { ts: '2025-01-01T00:00:00.000Z', level: 'info', source: 'stdout', message: 'old 1' },
            { ts: '2025-01-01T00:00:01.000Z', level: 'info', source: 'stdout', message: 'both' },
          ],
          pagination: { page: 1, per_page: 1000, total: 2 },
        },
      }),
    });
    const slowFetch: typeof fetch = async (input, init) => {
      await gate;
      return api.fetch(input, init);
    };
    const store = new ConsoleStore({
      api: createApi({ baseUrl: 'http://cp', token: () => 't', fetch: slowFetch }),
      source: Promise.resolve(source),
      serverId: SERVER,
      maxLines: 5,
      flushMs: 1,
    });
    const started = store.start();
    // A line that arrives while the backlog loads, and is also in the backlog, shows once.
    await vi.waitFor(() => expect(store.state).toBe('open'));
    emit('both', '2025-01-01T00:00:01.000Z');
    emit('new 1', '2025-01-01T00:00:02.000Z');
    release();
    await started;
    expect(store.lines.map((l) => l.message)).toEqual(['old 1', 'both', 'new 1']);
    for (let i = 2; i <= 6; i++) emit(`new ${i}`);
    await vi.waitFor(() => expect(store.lines.at(-1)?.message).toBe('new 6'));
    expect(store.lines.map((l) => l.message)).toEqual(['new 2', 'new 3', 'new 4', 'new 5', 'new 6']);
    store.stop();
  });

  it('sends commands, keeps a history for ↑/↓, and shows a refusal in words', async () => {
    const { source } = manualSource();
    let running = true;
    const api = fakeApi({
      [`GET /api/v1/servers/${SERVER}/logs`]: {
        body: { logs: [], pagination: { page: 1, per_page: 1, total: 0 } },
      },
      [`POST /api/v1/servers/${SERVER}/commands`]: () =>
        running
          ? { status: 202, body: { accepted: true } }
          : {
              status: 409,
              body: { error: { code: 'SERVER_NOT_RUNNING', message: 'The server is stopped.' } },
            },
    });
    const storage = memoryStorage();
    const store = new ConsoleStore({
      api: createApi({ baseUrl: 'http://cp', token: () => 't', fetch: api.fetch }),
      source: Promise.resolve(source),
      serverId: SERVER,
      historyStorage: storage,
    });
    await store.start();
    expect(await store.send('say one')).toBe(true);
    expect(await store.send('time set day')).toBe(true);
    expect(api.requests.at(-1)!.body).toEqual({ command: 'time set day' });
    expect(store.recall(-1)).toBe('time set day');
    expect(store.recall(-1)).toBe('say one');
    expect(store.recall(-1)).toBe('say one');
    expect(store.recall(1)).toBe('time set day');
    expect(store.recall(1)).toBe('');
    // History survives a new console for the same server (per browser session).
    const again = new ConsoleStore({
      api: createApi({ baseUrl: 'http://cp', token: () => 't', fetch: api.fetch }),
      source: Promise.resolve(source),
      serverId: SERVER,
      historyStorage: storage,
    });
    expect(again.history).toEqual(['say one', 'time set day']);

    running = false;
    expect(await store.send('say three')).toBe(false);
    expect(store.sendError?.code).toBe('SERVER_NOT_RUNNING');
    expect(store.sendError?.summary).toBe('The server is not running. Start it first.');
    store.stop();
  });
});
