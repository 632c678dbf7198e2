import type net from 'node:net';
import minecraftProtocol from 'minecraft-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway, type GatewayHooks, type Player, type WakeResult } from './gateway.js';
import type { Route } from './route-table.js';
import { FIRST_TRANSFER_PROTOCOL, TransferProtocols } from './transfer-protocol.js';

/**
 * Holding a 1.20.5+ login while its server starts and transferring it back (transfer-hold.ts), with
 * real minecraft-protocol clients of those versions and a real minecraft-protocol server as the
 * backend. The wake hook stands in for the control plane: it decides when the server is ready.
 */
const HOST = 'slow.play.test';

interface Client {
  client: minecraftProtocol.Client;
  /** Packets received, as `state:name`. */
  seen: string[];
  transfer: Promise<{ host: string; port: number }>;
  ended: Promise<string>;
}

function join(port: number, version: string, username: string, intent = 2): Client {
  const client = minecraftProtocol.createClient({
    host: '127.0.0.1',
    port,
    fakeHost: HOST,
    username,
    version,
    auth: 'offline',
    hideErrors: true,
  });
  if (intent !== 2) {
    // minecraft-protocol always writes intent 2 (login); a client back from a transfer writes 3.
    const write = client.write.bind(client);
    client.write = (name: string, params: Record<string, unknown>) =>
      write(name, name === 'set_protocol' ? { ...params, nextState: intent } : params);
  }
  const seen: string[] = [];
  client.on('packet', (_data, meta: minecraftProtocol.PacketMeta) => {
    seen.push(`${meta.state}:${meta.name}`);
  });
  const transfer = new Promise<{ host: string; port: number }>((resolve) =>
    client.on('packet', (data: { host: string; port: number }, meta: { name: string }) => {
      if (meta.name === 'transfer') resolve(data);
    }),
  );
  const ended = new Promise<string>((resolve) => {
    let reason = '';
    client.on('packet', (data: { reason?: unknown }, meta: { name: string }) => {
      if (meta.name === 'disconnect' || meta.name === 'kick_disconnect') reason = JSON.stringify(data.reason);
    });
    client.on('error', () => {});
    client.on('end', () => resolve(reason));
  });
  return { client, seen, transfer, ended };
}

function sleeping(serverId: string): Route {
  return {
    serverId,
    tenantId: 'tenant',
    region: 'local',
    status: 'sleeping',
    backend: null,
    proxyProtocol: false,
    hostnames: [HOST],
  };
}

describe('gateway: holding a 1.20.5+ login and transferring it', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function setup(hooks: GatewayHooks, transferHoldMs = 10_000) {
    const outcomes: string[] = [];
    const gateway = new Gateway(
      {
        host: '127.0.0.1',
        port: 0,
        transferHoldMs,
        transferKeepAliveMs: 100,
        perAddressPerSecond: 1000,
        perAddressBurst: 1000,
      },
      hooks,
      { connection: (outcome) => outcomes.push(outcome) },
    );
    const { port } = await gateway.listen();
    closers.push(() => gateway.close());
    gateway.routes.upsert(sleeping('slow'));
    return { gateway, port, outcomes };
  }

  it('knows the packets of every release from 1.20.5 on, read from minecraft-data', async () => {
    const protocols = new TransferProtocols();
    const v1205 = await protocols.packets(FIRST_TRANSFER_PROTOCOL);
    expect(v1205?.minecraftVersion).toMatch(/^1\.20\.[56]$/);
    // 1.20.5 adds a flag to Login Success that 1.21.2 removed: the two encodings differ by that byte.
    const v1214 = await protocols.packets(769);
    expect(v1205!.loginSuccess('Steve').length).toBe(v1214!.loginSuccess('Steve').length + 1);
    expect(await protocols.packets(765)).toBeNull();
    expect(await protocols.packets(999_999)).toBeNull();
  });

  // 1.21.4 here; the end-to-end test (test/e2e/gateway-transfer.test.ts) holds a 1.20.5 client.
  for (const version of ['1.21.4']) {
    it(`${version}: held in the configuration state, transferred back, and the backend gets a login`, async () => {
      const backend = minecraftProtocol.createServer({
        host: '127.0.0.1',
        port: 0,
        'online-mode': false,
        version,
      });
      await new Promise<void>((resolve) => backend.once('listening', () => resolve()));
      closers.push(() => backend.close());
      // The listening socket is not in minecraft-protocol's typings.
      const { socketServer } = backend as unknown as { socketServer: net.Server };
      const backendPort = (socketServer.address() as net.AddressInfo).port;
      const logins: { username: string; nextState?: number }[] = [];
      backend.on('login', (client) => {
        logins.push({ username: client.username });
        client.end('bye');
      });

      let markReady!: (result: WakeResult) => void;
      const players: Player[] = [];
      const { gateway, port, outcomes } = await setup({
        wake: async (_route, player) => {
          players.push(player);
          return { kind: 'hold', ready: new Promise<WakeResult>((resolve) => (markReady = resolve)) };
        },
      });
      const held = join(port, version, 'Patient');
      // Keep-alives arrive in the configuration state while the server "starts".
      await expect
        .poll(() => held.seen.filter((s) => s === 'configuration:keep_alive').length, { timeout: 10_000 })
        .toBeGreaterThan(1);
      expect(held.seen).toContain('login:success');
      expect(players[0]).toMatchObject({ username: 'Patient', transferable: true });

      gateway.routes.update('slow', { status: 'running', backend: { host: '127.0.0.1', port: backendPort } });
      markReady({ kind: 'forward', backend: { host: '127.0.0.1', port: backendPort } });
      // Back to the hostname and port the client used.
      expect(await held.transfer).toEqual({ host: HOST, port });
      held.client.end('transfer');
      await held.ended;
      expect(outcomes).toContain('transferred');

      // Back with intent 3: the backend (which knows no transfers) sees an ordinary login.
      const back = join(port, version, 'Patient', 3);
      await back.ended;
      expect(back.seen).toContain('login:success');
      expect(logins).toEqual([{ username: 'Patient' }]);
    });
  }

  it('a start that fails reaches the held player as a configuration-state disconnect', async () => {
    let fail!: (result: WakeResult) => void;
    const { port, outcomes } = await setup({
      wake: async () => ({ kind: 'hold', ready: new Promise<WakeResult>((resolve) => (fail = resolve)) }),
    });
    const held = join(port, '1.21.4', 'Unlucky');
    await expect.poll(() => held.seen.includes('configuration:keep_alive'), { timeout: 10_000 }).toBe(true);
    fail({ kind: 'disconnect', message: 'The server crashed while starting: exit code 3' });
    expect(await held.ended).toContain('The server crashed while starting: exit code 3');
    expect(outcomes).toContain('wake_refused');
  });

  it('a hold past its bound ends with a clear message, and the wake is told to stop waiting', async () => {
    let aborted = false;
    const { port, outcomes } = await setup(
      {
        wake: async (_route, _player, signal) => {
          signal.addEventListener('abort', () => (aborted = true));
          return { kind: 'hold', ready: new Promise<WakeResult>(() => {}) };
        },
      },
      600,
    );
    const held = join(port, '1.21.4', 'TooLate');
    expect(await held.ended).toContain('did not start within 1 s');
    expect(outcomes).toContain('hold_timeout');
    expect(aborted).toBe(true);
  });

  it('a client older than 1.20.5 is not offered a hold', async () => {
    const players: Player[] = [];
    const { port } = await setup({
      wake: async (_route, player) => {
        players.push(player);
        return { kind: 'disconnect', message: 'The server is starting. Join again in 40 s.' };
      },
    });
    const old = join(port, '1.20.2', 'Oldtimer');
    expect(await old.ended).toBeDefined();
    expect(players).toEqual([expect.objectContaining({ protocolVersion: 764, transferable: false })]);
  });
});
