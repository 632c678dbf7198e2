import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import minecraftProtocol from 'minecraft-protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, type GatewayHooks, type GatewaySettings } from './gateway.js';
import { proxyHeader, readProxyHeader } from './proxy-protocol.js';
import type { Route } from './route-table.js';
import { mcString, packet, readPacket, readString, varInt } from './varint.js';

const VERSION = '1.20.2';
const PROTOCOL = 764;

function handshake(host: string, nextState: number, port = 25565): Buffer {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(port);
  return packet(0x00, varInt(PROTOCOL), mcString(host), p, varInt(nextState));
}

/** A TCP backend that records what it receives and echoes it back, prefixed with its name. */
interface Backend {
  name: string;
  port: number;
  received: Buffer[];
  server: net.Server;
}

async function backend(name: string): Promise<Backend> {
  const received: Buffer[] = [];
  const server = net.createServer((socket) => {
    const chunks: Buffer[] = [];
    received.push(Buffer.alloc(0));
    const index = received.length - 1;
    socket.write(`${name}:`);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received[index] = Buffer.concat(chunks);
      socket.write(chunk);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { name, port: (server.address() as net.AddressInfo).port, received, server };
}

function route(
  serverId: string,
  hostnames: string[],
  port: number | null,
  extra: Partial<Route> = {},
): Route {
  return {
    serverId,
    tenantId: 'tenant',
    status: 'running',
    backend: port === null ? null : { host: '127.0.0.1', port },
    proxyProtocol: false,
    hostnames,
    region: 'local',
    ...extra,
  };
}

async function startGateway(
  settings: Partial<GatewaySettings> = {},
  hooks: GatewayHooks = {},
): Promise<{ gateway: Gateway; port: number; outcomes: string[] }> {
  const outcomes: string[] = [];
  const gateway = new Gateway(
    {
      host: '127.0.0.1',
      port: 0,
      handshakeTimeoutMs: 500,
      perAddressPerSecond: 1000,
      perAddressBurst: 1000,
      ...settings,
    },
    hooks,
    { connection: (outcome) => outcomes.push(outcome) },
  );
  const { port } = await gateway.listen();
  return { gateway, port, outcomes };
}

/** Connects, writes `bytes`, collects until the gateway closes or `until` matches. */
function exchange(
  port: number,
  bytes: Buffer | null,
  options: { until?: (got: Buffer) => boolean; timeoutMs?: number; minLength?: number } = {},
): Promise<{ data: Buffer; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 3_000);
    socket.on('connect', () => {
      if (bytes) socket.write(bytes);
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length < (options.minLength ?? 0)) return;
      if (options.until?.(Buffer.concat(chunks))) finish(false);
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
  });
}

function ping(port: number, host: string) {
  return minecraftProtocol.ping({
    host,
    port,
    version: VERSION,
    closeTimeout: 2_000,
    noPongTimeout: 500,
  }) as Promise<{
    description: unknown;
    players: { online: number; max: number };
    version: { name: string };
  }>;
}

/** Pings through the gateway with an explicit server address (minecraft-protocol uses `host` for both). */
async function statusThrough(port: number, host: string): Promise<Record<string, unknown>> {
  const ping = packet(0x01, Buffer.from('12345678'));
  const got = await exchange(port, Buffer.concat([handshake(host, 1), packet(0x00), ping]), {
    until: (data) => {
      const first = readPacket(data, 0, 1 << 20);
      return !!first && !!readPacket(data, first.next, 64);
    },
  });
  const first = readPacket(got.data, 0, 1 << 20)!;
  const pong = readPacket(got.data, first.next, 64)!;
  expect(pong.id).toBe(0x01);
  expect(pong.body.toString()).toBe('12345678');
  return JSON.parse(readString(first.body, 0, 1 << 20).value) as Record<string, unknown>;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return '';
  const c = value as { text?: string; extra?: unknown[] };
  return (c.text ?? '') + (c.extra ?? []).map(text).join('');
}

describe('gateway', () => {
  const backends: Backend[] = [];
  let lobby: Backend;
  let survival: Backend;
  let creative: Backend;
  const gateways: Gateway[] = [];

  beforeAll(async () => {
    lobby = await backend('lobby');
    survival = await backend('survival');
    creative = await backend('creative');
    backends.push(lobby, survival, creative);
  });
  afterAll(async () => {
    for (const b of backends) b.server.close();
  });
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.close()));
  });

  async function withRoutes(settings: Partial<GatewaySettings> = {}, hooks: GatewayHooks = {}) {
    const started = await startGateway(settings, hooks);
    gateways.push(started.gateway);
    started.gateway.routes.upsert(route('lobby', ['lobby.acme.play.test'], lobby.port));
    started.gateway.routes.upsert(
      route('survival', ['survival.acme.play.test', 'mc.acme.net'], survival.port),
    );
    started.gateway.routes.upsert(route('creative', ['*.creative.example'], creative.port));
    return started;
  }

  it('routes each hostname to its server and splices the exact bytes both ways', async () => {
    const { port } = await withRoutes();
    for (const [host, expected] of [
      ['lobby.acme.play.test', 'lobby'],
      ['Survival.Acme.Play.Test.', 'survival'],
      ['mc.acme.net\0FML3\0', 'survival'],
      ['build.creative.example', 'creative'],
    ] as const) {
      const opening = Buffer.concat([handshake(host, 2), Buffer.from('after-handshake')]);
      const got = await exchange(port, opening, {
        until: (data) => data.length >= expected.length + 1 + opening.length,
      });
      expect(got.data.toString('latin1')).toBe(`${expected}:${opening.toString('latin1')}`);
    }
  });

  it('splices bulk data intact under backpressure', async () => {
    const { port } = await withRoutes();
    const payload = randomBytes(8 * 1024 * 1024);
    const opening = Buffer.concat([handshake('lobby.acme.play.test', 2), payload]);
    const got = await exchange(port, opening, {
      minLength: 6 + opening.length,
      until: () => true,
      timeoutMs: 20_000,
    });
    const echoed = got.data.subarray(6);
    expect(createHash('sha256').update(echoed).digest('hex')).toBe(
      createHash('sha256').update(opening).digest('hex'),
    );
  });

  it('answers unknown hostnames itself (status says so, login is told so) and never reaches a backend', async () => {
    const { port, outcomes } = await withRoutes();
    const before = backends.map((b) => b.received.length);
    const status = await statusThrough(port, 'nope.acme.play.test');
    expect(text(status.description)).toMatch(/Unknown server/);
    const viaClient = await ping(port, '127.0.0.1');
    expect(text(viaClient.description)).toMatch(/Unknown server: no server is reachable at 127\.0\.0\.1/);
    const login = await exchange(
      port,
      Buffer.concat([handshake('nope.test', 2), packet(0x00, mcString('Alex'))]),
    );
    expect(login.closed).toBe(true);
    const disconnect = readPacket(login.data, 0, 4096)!;
    expect(disconnect.id).toBe(0x00);
    expect(readString(disconnect.body, 0, 4096).value).toMatch(/Unknown server/);
    expect(backends.map((b) => b.received.length)).toEqual(before);
    expect(outcomes.filter((o) => o === 'unknown_host')).toHaveLength(3);
  });

  it('refuses a server of another region: status and login name its region, nothing is spliced or woken', async () => {
    let wakes = 0;
    const { gateway, port, outcomes } = await withRoutes(
      { region: 'eu-west' },
      {
        wake: async () => {
          wakes++;
          return { kind: 'disconnect', message: 'woken' };
        },
      },
    );
    // The three routes of withRoutes are `local`; this one is of the gateway's region.
    gateway.routes.upsert(route('home', ['home.acme.play.test'], creative.port, { region: 'eu-west' }));
    gateway.routes.upsert(
      route('asleep', ['asleep.acme.play.test'], null, { region: 'us-east', status: 'sleeping' }),
    );
    const before = backends.map((b) => b.received.length);
    const status = await statusThrough(port, 'lobby.acme.play.test');
    expect(text(status.description)).toBe(
      'This server runs in region local; this address serves region eu-west. Connect through the local address.',
    );
    for (const host of ['lobby.acme.play.test', 'asleep.acme.play.test']) {
      const login = await exchange(port, Buffer.concat([handshake(host, 2), packet(0x00, mcString('Alex'))]));
      expect(login.closed).toBe(true);
      const disconnect = readPacket(login.data, 0, 4096)!;
      expect(disconnect.id).toBe(0x00);
      expect(readString(disconnect.body, 0, 4096).value).toMatch(
        /runs in region (local|us-east); this address serves region eu-west/,
      );
    }
    expect(backends.map((b) => b.received.length)).toEqual(before);
    expect(wakes).toBe(0);
    expect(outcomes.filter((o) => o === 'other_region')).toHaveLength(3);
    // Its own region's server is spliced as usual.
    const opening = Buffer.concat([handshake('home.acme.play.test', 2), Buffer.from('x')]);
    const got = await exchange(port, opening, { until: (data) => data.length >= 9 + opening.length });
    expect(got.data.toString('latin1')).toBe(`creative:${opening.toString('latin1')}`);
  });

  it('answers legacy pings', async () => {
    const { port } = await withRoutes();
    const got = await exchange(port, Buffer.from([0xfe, 0x01]));
    expect(got.closed).toBe(true);
    expect(got.data[0]).toBe(0xff);
    const textual = Buffer.from(got.data.subarray(3)).swap16().toString('utf16le');
    expect(textual.split('\0')[3]).toMatch(/1\.7 or newer/);
  });

  it('closes bad openings within the deadline without disturbing others', async () => {
    const { port } = await withRoutes({ handshakeTimeoutMs: 500 });
    const good = () =>
      exchange(port, Buffer.concat([handshake('lobby.acme.play.test', 2), Buffer.from('x')]), {
        until: (d) => d.length >= 'lobby:'.length + 1,
      });
    const slow = new Promise<{ closed: boolean; ms: number }>((resolve) => {
      const started = performance.now();
      const socket = net.connect({ host: '127.0.0.1', port });
      const bytes = handshake('lobby.acme.play.test', 2);
      let i = 0;
      const timer = setInterval(() => {
        if (i < bytes.length) socket.write(bytes.subarray(i, i + 1));
        i++;
      }, 1_000);
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ closed: true, ms: performance.now() - started });
      });
    });
    const cases = await Promise.all([
      // Too long: a declared length far beyond any handshake.
      exchange(port, Buffer.concat([varInt(1_000_000), Buffer.alloc(100)])),
      // Too long, sent for real (a huge host).
      exchange(port, Buffer.concat([varInt(3000), Buffer.alloc(3000, 0x61)])),
      // Lies about lengths: a host string longer than its packet.
      exchange(port, Buffer.concat([varInt(6), varInt(0), varInt(PROTOCOL), varInt(100), Buffer.from('ab')])),
      // Truncated: half a handshake, then silence.
      exchange(port, handshake('lobby.acme.play.test', 2).subarray(0, 10)),
      // Nothing at all.
      exchange(port, null),
      // A PROXY header from a peer that is not a trusted load balancer.
      exchange(
        port,
        proxyHeader({
          sourceAddress: '1.2.3.4',
          sourcePort: 1,
          destinationAddress: '5.6.7.8',
          destinationPort: 2,
        }),
      ),
    ]);
    for (const c of cases) {
      expect(c.closed).toBe(true);
      expect(c.ms).toBeLessThan(900);
      expect(c.data.length).toBe(0);
    }
    // Lying and oversized openings are closed at once, not at the deadline.
    expect(cases[0].ms).toBeLessThan(300);
    expect(cases[2].ms).toBeLessThan(300);
    const meanwhile = await good();
    expect(meanwhile.data.toString('latin1')).toBe(
      'lobby:' + handshake('lobby.acme.play.test', 2).toString('latin1') + 'x',
    );
    const slowResult = await slow;
    expect(slowResult.ms).toBeLessThan(1_200);
    expect((await good()).data.toString().startsWith('lobby:')).toBe(true);
  });

  it('survives random bytes and then routes the next real client', async () => {
    const { port, gateway } = await withRoutes({ handshakeTimeoutMs: 300 });
    const before = backends.map((b) => b.received.length);
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const size = 1 + Math.floor(Math.random() * (i % 3 === 0 ? 5000 : 64));
          const bytes = randomBytes(size);
          // A third of them look like a handshake's start, so the parser goes deeper.
          if (i % 3 === 1) bytes[0] = Math.min(bytes[0]!, 0x7f);
          if (i % 3 === 1 && bytes.length > 1) bytes[1] = 0x00;
          return exchange(port, bytes, { timeoutMs: 1_000 });
        }),
      );
    }
    // Random bytes never form a handshake for a known hostname, so no backend saw a byte.
    expect(backends.map((b) => b.received.length)).toEqual(before);
    const answer = await ping(port, '127.0.0.1');
    expect(text(answer.description)).toMatch(/Unknown server/);
    const got = await exchange(
      port,
      Buffer.concat([handshake('survival.acme.play.test', 2), Buffer.from('hi')]),
      {
        until: (d) => d.length >= 'survival:'.length + 2,
      },
    );
    expect(got.data.toString().startsWith('survival:')).toBe(true);
    expect(gateway.openConnections).toBeLessThanOrEqual(1);
  });

  it('takes the client address from a trusted PROXY v2 header and sends one to a backend that wants it', async () => {
    const { port, gateway } = await withRoutes({ trustedProxies: ['127.0.0.1'] });
    gateway.routes.upsert(route('proxied', ['proxied.acme.play.test'], lobby.port, { proxyProtocol: true }));
    const inbound = proxyHeader({
      sourceAddress: '203.0.113.9',
      sourcePort: 40000,
      destinationAddress: '198.51.100.1',
      destinationPort: 25565,
    });
    const opening = handshake('proxied.acme.play.test', 2);
    const count = lobby.received.length;
    await exchange(port, Buffer.concat([inbound, opening]), {
      until: (d) => d.length >= 6 + 16 + 12 + opening.length,
    });
    const seen = lobby.received[count]!;
    const header = readProxyHeader(seen);
    expect(header.kind === 'header' && header.addresses).toEqual({
      sourceAddress: '203.0.113.9',
      sourcePort: 40000,
      destinationAddress: '198.51.100.1',
      destinationPort: 25565,
    });
    expect(seen.subarray(header.kind === 'header' ? header.next : 0).equals(opening)).toBe(true);
    // A trusted peer may also connect without a header.
    const direct = await exchange(
      port,
      Buffer.concat([handshake('lobby.acme.play.test', 2), Buffer.from('z')]),
      {
        until: (d) => d.length >= 7,
      },
    );
    expect(direct.data.toString().startsWith('lobby:')).toBe(true);
  });

  it('limits connections per address and in total', async () => {
    const { port, outcomes } = await withRoutes({ perAddressPerSecond: 1, perAddressBurst: 3 });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => exchange(port, null, { timeoutMs: 300 })),
    );
    expect(outcomes.filter((o) => o === 'rate_limited').length).toBe(3);
    expect(results.filter((r) => r.closed && r.ms < 100)).toHaveLength(3);
    const capped = await startGateway({ maxConnections: 2 });
    gateways.push(capped.gateway);
    await Promise.all(Array.from({ length: 4 }, () => exchange(capped.port, null, { timeoutMs: 200 })));
    expect(capped.outcomes.filter((o) => o === 'over_capacity').length).toBe(2);
  });

  it('answers pings of a sleeping server from its cached status without waking it; a login wakes it', async () => {
    const wakes: string[] = [];
    let wakeTo = survival.port;
    const { port, gateway } = await withRoutes(
      {},
      {
        async wake(r, player) {
          wakes.push(`${r.serverId}:${player.username}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
          return { kind: 'forward', backend: { host: '127.0.0.1', port: wakeTo } };
        },
      },
    );
    gateway.statuses.set(
      'sleepy',
      {
        version: { name: '1.20.2', protocol: PROTOCOL },
        players: { max: 20, online: 3 },
        description: { text: 'Acme Survival' },
        favicon: 'data:image/png;base64,AAAA',
      },
      Date.now(),
    );
    gateway.routes.upsert(route('sleepy', ['sleepy.acme.play.test'], null, { status: 'sleeping' }));
    const started = performance.now();
    const status = await statusThrough(port, 'sleepy.acme.play.test');
    expect(performance.now() - started).toBeLessThan(100);
    expect(text(status.description)).toBe('Acme Survival\nsleeping — join to start');
    expect(status.favicon).toBe('data:image/png;base64,AAAA');
    expect(status.players).toEqual({ max: 20, online: 0 });
    expect(wakes).toEqual([]);
    const opening = Buffer.concat([
      handshake('sleepy.acme.play.test', 2),
      packet(0x00, mcString('Steve'), Buffer.alloc(16)),
    ]);
    const got = await exchange(port, opening, {
      until: (d) => d.length >= 'survival:'.length + opening.length,
    });
    expect(wakes).toEqual(['sleepy:Steve']);
    expect(got.data.toString('latin1')).toBe('survival:' + opening.toString('latin1'));
    // A wake that ends in a refusal reaches the player as a login disconnect message.
    wakeTo = 1; // nothing listens on port 1
    const refused = await exchange(port, opening);
    const message = readString(readPacket(refused.data, 0, 4096)!.body, 0, 4096).value;
    expect(message).toMatch(/not reachable/);
  });

  it('disconnects a held login with a message when the hold window ends', async () => {
    const { port, gateway, outcomes } = await withRoutes(
      { holdTimeoutMs: 300 },
      {
        wake: (_r, _p, signal) =>
          new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(new Error('aborted'))),
          ),
      },
    );
    gateway.routes.upsert(route('slow', ['slow.acme.play.test'], null, { status: 'sleeping' }));
    const got = await exchange(
      port,
      Buffer.concat([handshake('slow.acme.play.test', 2), packet(0x00, mcString('Alex'))]),
    );
    expect(got.closed).toBe(true);
    expect(got.ms).toBeLessThan(800);
    expect(readString(readPacket(got.data, 0, 4096)!.body, 0, 4096).value).toMatch(/join again/i);
    expect(outcomes).toContain('hold_timeout');
  });
});
