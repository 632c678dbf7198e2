import { describe, expect, it, vi } from 'vitest';
import { createApi } from '../api.js';
import { fakeApi } from '../../test-helpers.js';
import type { LiveEvent, LiveSource, LiveStream, SubscribeOptions } from './live-source.js';
import { ServerStore } from './server-store.svelte.js';
import { ServersStore } from './servers-store.svelte.js';

const ID = '33333333-3333-4333-8333-333333333333';

function source(transport: 'sse' | 'websocket') {
  const subs: { id: string; streams: readonly LiveStream[]; options: SubscribeOptions; active: boolean }[] =
    [];
  const live: LiveSource = {
    transport,
    streams: transport === 'websocket' ? ['status', 'metrics', 'console'] : ['status', 'console'],
    subscribe: (id, streams, options) => {
      const sub = { id, streams, options, active: true };
      subs.push(sub);
      return { unsubscribe: () => void (sub.active = false) };
    },
    close: () => {},
  };
  const emit = (event: LiveEvent) => {
    for (const s of subs) if (s.active && s.id === event.server_id) s.options.onEvent(event);
  };
  return { live, subs, emit };
}

const server = (status: string, extra: Record<string, unknown> = {}) => ({
  id: ID,
  name: 'survival',
  status,
  desired_state: 'running',
  status_reason: null,
  players_online: null,
  ...extra,
});

describe('ServerStore', () => {
  it('moves the badge at once on a status event, then refreshes the rest from the API', async () => {
    let current = server('starting');
    const api = fakeApi({ [`GET /api/v1/servers/${ID}`]: () => ({ body: current }) });
    const { live, emit } = source('sse');
    const store = new ServerStore({
      api: createApi({ baseUrl: 'http://cp', token: () => 't', fetch: api.fetch }),
      source: Promise.resolve(live),
      serverId: ID,
      pollMs: 60_000,
    });
    await store.start();
    expect(store.server?.status).toBe('starting');
    current = server('running', { players_online: 0, started_at: '2025-01-01T00:00:00Z' });
    emit({ type: 'status', server_id: ID, ts: 'now', data: { status: 'running', desired_state: 'running' } });
    expect(store.server?.status).toBe('running');
    await vi.waitFor(() => expect(store.server?.players_online).toBe(0));
    expect(api.requests).toHaveLength(2);
    store.stop();
  });

  it('takes players and the latest sample from live metrics (WebSocket)', async () => {
    const api = fakeApi({ [`GET /api/v1/servers/${ID}`]: { body: server('running') } });
    const { live, emit, subs } = source('websocket');
    const store = new ServerStore({
      api: createApi({ baseUrl: 'http://cp', token: () => 't', fetch: api.fetch }),
      source: Promise.resolve(live),
      serverId: ID,
      pollMs: 60_000,
    });
    await store.start();
    expect(subs[0]!.streams).toEqual(['status', 'metrics']);
    emit({ type: 'metrics', server_id: ID, ts: 'now', data: { players_online: 3, cpu_percent: 12.5 } });
    expect(store.server?.players_online).toBe(3);
    expect(store.metrics?.cpu_percent).toBe(12.5);
    store.stop();
    expect(subs[0]!.active).toBe(false);
  });
});

describe('ServersStore', () => {
  const many = Array.from({ length: 150 }, (_, i) => ({
    ...server('stopped'),
    id: `id-${i}`,
    name: `s-${i}`,
  }));
  const pages = fakeApi({
    'GET /api/v1/servers': (r) => {
      const page = Number(new URL(`http://x${r.path}`).searchParams.get('page'));
      return {
        body: {
          servers: many.slice((page - 1) * 100, page * 100),
          pagination: { page, per_page: 100, total: 150 },
        },
      };
    },
  });

  it('reads every page, and over SSE polls instead of opening a stream per server', async () => {
    const { live, subs } = source('sse');
    const store = new ServersStore({
      api: createApi({ baseUrl: 'http://cp', token: () => 't', fetch: pages.fetch }),
      source: Promise.resolve(live),
      pollMs: 60_000,
    });
    await store.start();
    expect(store.servers).toHaveLength(150);
    expect(store.total).toBe(150);
    expect(subs).toHaveLength(0);
    store.stop();
  });

  it('over the WebSocket, follows every listed server’s status and metrics for badges and sparklines', async () => {
    const { live, subs, emit } = source('websocket');
    const store = new ServersStore({
      api: createApi({ baseUrl: 'http://cp', token: () => 't', fetch: pages.fetch }),
      source: Promise.resolve(live),
      pollMs: 60_000,
    });
    await store.start();
    expect(subs).toHaveLength(150);
    emit({
      type: 'status',
      server_id: 'id-7',
      ts: 'now',
      data: { status: 'running', desired_state: 'running' },
    });
    emit({
      type: 'metrics',
      server_id: 'id-7',
      ts: 'now',
      data: { players_online: 2, cpu_percent: 40, memory_bytes: 1e8 },
    });
    emit({ type: 'metrics', server_id: 'id-7', ts: 'now', data: { cpu_percent: 50 } });
    const row = store.servers.find((s) => s.id === 'id-7')!;
    expect(row.status).toBe('running');
    expect(row.players_online).toBe(2);
    expect(store.sparks['id-7']).toEqual({ cpu: [40, 50], memory: [1e8] });
    store.stop();
    expect(subs.every((s) => !s.active)).toBe(true);
  });
});
