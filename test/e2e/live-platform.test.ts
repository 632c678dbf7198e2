import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { LiveClient } from '@minefleet/testkit/live-client';
import { BOT_TEST_VERSION, joinBot, type TestBot } from '@minefleet/testkit/minecraft';

/**
 * The live platform end to end, with one real flying-squid server and a real mineflayer bot, through the public
 * API and the WebSocket: live status and console, players_online history, sessions, role and tenant
 * isolation on the socket, a slow client next to a fast one, token expiry, the audit log and /metrics.
 */
const METRICS_TOKEN = 'test-metrics-token-0123456789';

describe('live platform', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let owner: SignedUp;
  let serverId: string;
  let address: { host: string; port: number };
  let bot: TestBot | undefined;
  /** A viewer of the owner's tenant (set by the viewer test). */
  let viewerToken: string | undefined;
  const clients: LiveClient[] = [];

  const connect = async (token: string) => {
    const client = await LiveClient.open(cp.url, token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend(), {
      lifecycle: { reconcileIntervalMs: 2_000 },
      env: {
        MINEFLEET_METRICS_INTERVAL_SECONDS: '0.5',
        MINEFLEET_METRICS_TOKEN: METRICS_TOKEN,
        MINEFLEET_WS_PING_SECONDS: '1',
        MINEFLEET_WS_IDLE_SECONDS: '5',
      },
    });
    api = cp.api;
    owner = await api.signup('live');
    const created = await api.post(
      '/servers',
      { name: 'live-one', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
      owner.token,
    );
    expect(created.status).toBe(202);
    serverId = created.body.id;
    await api.waitForStatus(serverId, owner.token, 'stopped');
  });

  afterAll(async () => {
    await bot?.quit().catch(() => {});
    for (const client of clients) client.socket.terminate();
    await cp?.close();
  });

  it('a subscriber sees starting → running, metrics, and the console line of a command it sent', async () => {
    const client = await connect(owner.token);
    expect(client.messages[0]).toMatchObject({ type: 'authenticated', data: { role: 'owner' } });
    const subscribed = await client.subscribe(serverId, ['status', 'metrics', 'console']);
    expect(subscribed).toMatchObject({ type: 'subscribed', server_id: serverId });

    const started = await api.post(`/servers/${serverId}/start`, {}, owner.token);
    expect(started.status).toBe(202);
    address = started.body.address; // a game port is taken at start
    const starting = await client.waitFor((m) => m.type === 'status' && m.data.status === 'starting');
    const running = await client.waitFor((m) => m.type === 'status' && m.data.status === 'running', 30_000);
    expect(client.messages.indexOf(starting)).toBeLessThan(client.messages.indexOf(running));
    expect(running).toMatchObject({ server_id: serverId, data: { desired_state: 'running' } });
    expect(Date.parse(running.ts)).not.toBeNaN();

    const accepted = await client.command(serverId, 'say hello over the socket');
    expect(accepted.type).toBe('command_accepted');
    const line = await client.waitFor(
      (m) => m.type === 'console' && m.data.message.includes('hello over the socket'),
    );
    expect(line.data).toMatchObject({ level: expect.any(String), source: expect.any(String) });

    const metrics = await client.waitFor(
      (m) => m.type === 'metrics' && m.data.cpu_percent !== undefined,
      10_000,
    );
    expect(metrics.data).toMatchObject({ players_online: 0, max_players: expect.any(Number) });
    expect(metrics.data.memory_bytes).toBeGreaterThan(10 * 1024 * 1024);
    // flying-squid's tick loop is measured by the launcher: TPS is reported, not invented.
    expect(typeof metrics.data.tps === 'number' || metrics.data.tps === null).toBe(true);

    // A command with a newline is refused like POST /commands refuses it.
    const refused = await client.command(serverId, 'say one\nsay two');
    expect(refused).toMatchObject({
      type: 'error',
      server_id: serverId,
      data: { code: 'VALIDATION_FAILED' },
    });
  });

  it('players_online goes 0 → 1 → 0 as a bot joins and leaves, in the series and the sessions', async () => {
    const series = async () => {
      const res = await api.get(
        `/servers/${serverId}/metrics?names=players_online,cpu_percent&from=10m&step=1s`,
        owner.token,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.resolution).toBe('raw');
      return res.body.series.find((s: { name: string }) => s.name === 'players_online').points as [
        number,
        number,
      ][];
    };
    const waitForSeries = async (predicate: (values: number[]) => boolean) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const points = await series();
        const values = points.map((p) => p[1]);
        if (predicate(values)) return values;
        if (Date.now() > deadline) throw new Error(`series never matched: ${JSON.stringify(points)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const zeros = (v: number[]) => v.filter((x) => x === 0).length;
    // Buckets take the maximum: a few seconds of 0 first, so the join does not share their bucket.
    await waitForSeries((v) => zeros(v) >= 3);

    bot = await joinBot(address, { username: 'Sampler', version: BOT_TEST_VERSION });
    const seen = await api.waitForServer(serverId, owner.token, (s) => s.players_online === 1, 10_000);
    expect(seen.players_online).toBe(1);
    await waitForSeries((v) => v.filter((x) => x === 1).length >= 2 && v.lastIndexOf(1) > v.indexOf(0));
    await bot.quit();
    bot = undefined;
    const values = await waitForSeries((v) => v.lastIndexOf(0) > v.indexOf(1) && v.indexOf(1) > v.indexOf(0));
    // 0 … 1 … 0, in that order.
    const firstOne = values.indexOf(1);
    expect(values.slice(0, firstOne)).toContain(0);
    expect(values.slice(values.lastIndexOf(1) + 1)).toContain(0);
    await api.waitForServer(serverId, owner.token, (s) => s.players_online === 0, 10_000);

    const sessions = await api.get(`/servers/${serverId}/players/sessions`, owner.token);
    expect(sessions.status).toBe(200);
    const session = sessions.body.sessions.find((s: { player_name: string }) => s.player_name === 'Sampler');
    expect(session).toBeDefined();
    expect(session.left_at).not.toBeNull();
    expect(Date.parse(session.left_at)).toBeGreaterThanOrEqual(Date.parse(session.joined_at));

    // Coarser questions are answered from downsampled rows.
    const week = await api.get(`/servers/${serverId}/metrics?names=players_online&from=7d`, owner.token);
    expect(week.status).toBe(200);
    expect(week.body.resolution).toBe('1m');
    const bad = await api.get(`/servers/${serverId}/metrics?names=nonsense`, owner.token);
    expect(bad.status).toBe(400);
  });

  it('a viewer gets status but not the console, and cannot send commands', async () => {
    const viewer = await api.signup('viewer');
    expect((await api.post('/members', { email: viewer.email, role: 'viewer' }, owner.token)).status).toBe(
      201,
    );
    const switched = await api.post('/auth/switch-tenant', { tenant_id: owner.tenantId }, viewer.token);
    expect(switched.status).toBe(200);
    viewerToken = switched.body.token as string;
    const client = await connect(viewerToken);
    expect(client.messages[0]?.data.role).toBe('viewer');

    const console = await client.subscribe(serverId, ['console']);
    expect(console).toMatchObject({ type: 'error', server_id: serverId, data: { code: 'FORBIDDEN' } });
    const status = await client.subscribe(serverId, ['status']);
    expect(status).toMatchObject({ type: 'subscribed', data: { streams: ['status'] } });
    const command = await client.command(serverId, 'say not allowed');
    expect(command).toMatchObject({ type: 'error', data: { code: 'FORBIDDEN' } });

    // A console line produced now reaches the owner's subscriber but never the viewer.
    const ownerClient = await connect(owner.token);
    await ownerClient.subscribe(serverId, ['console']);
    await ownerClient.command(serverId, 'say for operators only');
    await ownerClient.waitFor((m) => m.type === 'console' && m.data.message.includes('for operators only'));
    expect(client.messages.some((m) => m.type === 'console')).toBe(false);
  });

  it('another tenant gets SERVER_NOT_FOUND for this server, on every message', async () => {
    const other = await api.signup('other');
    const client = await connect(other.token);
    for (const streams of [['status'], ['metrics'], ['console']]) {
      const answer = await client.subscribe(serverId, streams);
      expect(answer).toMatchObject({
        type: 'error',
        server_id: serverId,
        data: { code: 'SERVER_NOT_FOUND' },
      });
    }
    const missing = await client.subscribe('00000000-0000-4000-8000-000000000000', ['status']);
    expect(missing.data.code).toBe('SERVER_NOT_FOUND');
    const command = await client.command(serverId, 'say intruder');
    expect(command).toMatchObject({ type: 'error', data: { code: 'SERVER_NOT_FOUND' } });
    expect((await api.get(`/servers/${serverId}/metrics`, other.token)).status).toBe(404);
    expect((await api.get(`/servers/${serverId}/players/sessions`, other.token)).status).toBe(404);
  });

  it('a slow client loses its own oldest messages and does not delay a fast one', async () => {
    const fast = await connect(owner.token);
    const slow = await connect(owner.token);
    await fast.subscribe(serverId, ['console']);
    await slow.subscribe(serverId, ['console']);
    // The slow client stops reading: its socket buffers fill, then its queue drops the oldest.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();

    const filler = 'x'.repeat(2_000);
    const total = 6_000; // ~12 MB: far more than the socket buffers and the queue (1,000) hold
    const publishedAt = new Map<number, number>();
    for (let i = 0; i < total; i++) {
      publishedAt.set(i, performance.timeOrigin + performance.now());
      await cp.controlPlane.events.publish({
        type: 'console',
        tenantId: owner.tenantId,
        serverId,
        ts: new Date().toISOString(),
        data: { level: 'info', source: 'platform', message: `flood ${i} ${filler}` },
      });
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    const last = await fast.waitFor(
      (m) => m.type === 'console' && m.data.message.startsWith(`flood ${total - 1} `),
      20_000,
    );
    const fastFlood = fast.messages.filter(
      (m) => m.type === 'console' && m.data.message.startsWith('flood '),
    );
    expect(fastFlood.length).toBe(total);
    const delay = last.receivedAt - publishedAt.get(total - 1)!;
    expect(delay).toBeLessThan(2_000);

    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const dropped = await slow.waitFor((m) => m.type === 'dropped' && m.server_id === serverId, 20_000);
    expect(dropped.data.count).toBeGreaterThan(0);
    await slow.waitFor(
      (m) => m.type === 'console' && m.data.message.startsWith(`flood ${total - 1} `),
      20_000,
    );
    const slowFlood = slow.messages.filter(
      (m) => m.type === 'console' && m.data.message.startsWith('flood '),
    );
    expect(slowFlood.length).toBeLessThan(total);
    // What it kept is in order, newest last.
    const numbers = slowFlood.map((m) => Number(m.data.message.split(' ')[1]));
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
  });

  it('closes with 4401 without auth in time, on a bad token, and when the token expires', async () => {
    const silent = await LiveClient.connect(cp.url);
    clients.push(silent);
    const wrongFirst = await LiveClient.connect(cp.url);
    clients.push(wrongFirst);
    wrongFirst.send({ type: 'subscribe', server_id: serverId, streams: ['status'] });
    expect((await wrongFirst.closed).code).toBe(4400);

    const badToken = await LiveClient.connect(cp.url);
    clients.push(badToken);
    badToken.send({ type: 'auth', token: 'not-a-token' });
    expect(await badToken.closed).toMatchObject({ code: 4401, reason: 'token refused' });

    const key = await api.post(
      '/api-keys',
      { name: 'short-lived', expires_at: new Date(Date.now() + 3_000).toISOString() },
      owner.token,
    );
    expect(key.status).toBe(201);
    const expiring = await connect(key.body.key);
    expect(expiring.messages[0]?.type).toBe('authenticated');
    expect(await expiring.closed).toMatchObject({ code: 4401, reason: 'token expired' });

    expect((await silent.closed).code).toBe(4401);
  });

  it('closes a peer that stops answering pings, and an idle socket without subscriptions, with 4408', async () => {
    // A client that does not answer WebSocket pings (browsers always do; this one is made not to).
    const idle = await connect(owner.token);
    const mute = await LiveClient.open(cp.url, owner.token, { autoPong: false });
    clients.push(mute);
    await mute.subscribe(serverId, ['status']);
    const [deafClosed, idleClosed] = await Promise.all([mute.closed, idle.closed]);
    expect(deafClosed).toMatchObject({ code: 4408, reason: 'heartbeat timeout' });
    expect(idleClosed).toMatchObject({ code: 4408, reason: 'idle' });
    // A subscribed client that answers pings stays connected meanwhile.
    const busy = await connect(owner.token);
    await busy.subscribe(serverId, ['status']);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(busy.socket.readyState).toBe(busy.socket.OPEN);
  });

  it('the audit log is queryable by admins and carries the request id of each call', async () => {
    const start = await api.request('POST', `/api/v1/servers/${serverId}/commands`, {
      token: owner.token,
      body: { command: 'say audited' },
      headers: { 'x-request-id': 'audit-trail-test-1' },
    });
    expect(start.status).toBe(202);
    let events: any[] = [];
    for (let i = 0; i < 50 && events.length === 0; i++) {
      const res = await api.get(`/audit?action=server.command&server_id=${serverId}&from=1h`, owner.token);
      expect(res.status).toBe(200);
      events = res.body.events.filter((e: { request_id: string }) => e.request_id === 'audit-trail-test-1');
      if (events.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(events[0]).toMatchObject({ action: 'server.command', outcome: 'success', server_id: serverId });
    const viaSocket = await api.get(`/audit?action=server.command`, owner.token);
    expect(
      viaSocket.body.events.some((e: { details: { via?: string } | null }) => e.details?.via === 'websocket'),
    ).toBe(true);

    expect((await api.get('/audit', viewerToken)).status).toBe(403);
    expect((await api.get('/audit?from=yesterday', owner.token)).status).toBe(400);
  });

  it('/metrics needs the token and exports per-server and control-plane series', async () => {
    expect((await api.request('GET', '/metrics')).status).toBe(401);
    const res = await api.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const text = res.body as string;
    const labels = `server_id="${serverId}",server_name="live-one",tenant_id="${owner.tenantId}"`;
    expect(text).toContain(`minefleet_server_players_online{${labels}}`);
    expect(text).toContain(`minefleet_server_status{${labels},status="running"} 1`);
    expect(text).toContain(`minefleet_server_status{${labels},status="stopped"} 0`);
    expect(text).toMatch(/minefleet_server_memory_bytes\{[^}]*\} \d+/);
    expect(text).toMatch(/minefleet_ws_connections \d+/);
    expect(text).toContain(
      'minefleet_runtime_operation_duration_seconds_count{operation="start",outcome="ok"}',
    );
    expect(text).toContain('minefleet_event_bus_published_total{type="status",outcome="ok"}');
    expect(text).toContain('minefleet_nodejs_eventloop_lag_seconds');
    expect(text).toContain('minefleet_db_pool_connections');
  });
});
