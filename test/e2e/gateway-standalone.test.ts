import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedUp } from '@minefleet/testkit/api';
import { assertCliBuilt, startCli } from '@minefleet/testkit/cli';
import {
  LOOPBACK_METRICS_TOKEN,
  loopbackEnv,
  spawnControlPlane,
  type ControlPlaneProcess,
} from '@minefleet/testkit/control-plane-process';
import { createTestDatabase, type TestDatabase } from '@minefleet/testkit/databases';
import { BOT_TEST_VERSION, joinBot, pingOnce, type TestBot } from '@minefleet/testkit/minecraft';
import { freePort, freePortRange } from '@minefleet/testkit/ports';
import { endGameProcesses } from '@minefleet/testkit/processes';

/**
 * The gateway as its own process (`minefleet gateway run`, the built CLI) beside a control plane that
 * runs with MINEFLEET_GATEWAY=external, on one PostgreSQL database and one NATS server: a server created
 * after the gateway started is routable through it, a player connected through it keeps the server
 * awake (the control plane's idle check counts the game's own player list), the control plane puts the
 * empty server to sleep, and a login through the standalone gateway wakes it.
 * Needs DATABASE_URL and NATS_URL; CI (MINEFLEET_REQUIRE_POSTGRES=1) fails instead of skipping.
 */
const required = process.env.MINEFLEET_REQUIRE_POSTGRES === '1';
const available = Boolean(process.env.DATABASE_URL && process.env.NATS_URL);
if (required && !available) {
  throw new Error(
    'MINEFLEET_REQUIRE_POSTGRES=1: the standalone gateway test needs DATABASE_URL and NATS_URL.',
  );
}

describe.skipIf(!available)(
  `the gateway as its own process${available ? '' : ' (skipped: needs DATABASE_URL and NATS)'}`,
  () => {
    const run = randomBytes(4).toString('hex');
    const stream = `MFTEST_GATEWAY_${run}`;
    let db: TestDatabase;
    let dataDir: string;
    let controlPlane: ControlPlaneProcess | undefined;
    let gatewayProc: ChildProcess | undefined;
    let gatewayOutput = '';
    let gateway: { host: string; port: number };
    let adminUrl: string;
    let user: SignedUp;
    const bots: TestBot[] = [];

    const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await check().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${gatewayOutput}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    beforeAll(async () => {
      assertCliBuilt();
      db = await createTestDatabase('postgres');
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-gateway-standalone-'));
      const [apiPort, gatewayPort, adminPort] = [await freePort(), await freePort(), await freePort()];
      gateway = { host: '127.0.0.1', port: gatewayPort };
      adminUrl = `http://127.0.0.1:${adminPort}`;
      // One environment for both processes, as in a deployment: the same database, bus, data folder,
      // game ports and game domain.
      const env = loopbackEnv({
        port: apiPort,
        dataDir,
        portRange: await freePortRange(3),
        databaseUrl: db.url,
        extra: {
          MINEFLEET_JWT_SECRET: `gateway-standalone-secret-${run}-0123456789abcdef`,
          NATS_STREAM: stream,
          NATS_SUBJECT_PREFIX: `mftest_gateway_${run}`,
          NATS_STREAM_STORAGE: 'memory',
          MINEFLEET_GAME_DOMAIN: 'play.test',
          MINEFLEET_SLEEP_CHECK_SECONDS: '1',
          MINEFLEET_GATEWAY_HOST: '127.0.0.1',
          MINEFLEET_GATEWAY_PORT: String(gatewayPort),
          MINEFLEET_GATEWAY_RATE_PER_SECOND: '1000',
          MINEFLEET_GATEWAY_ADMIN_PORT: String(adminPort),
        },
      });
      gatewayProc = startCli(['gateway', 'run'], env);
      gatewayProc.stdout!.on('data', (d: Buffer) => (gatewayOutput += d.toString()));
      gatewayProc.stderr!.on('data', (d: Buffer) => (gatewayOutput += d.toString()));
      gatewayProc.stdin!.end();
      controlPlane = await spawnControlPlane({ ...env, MINEFLEET_GATEWAY: 'external' });
      await until(async () => (await fetch(`${adminUrl}/health`)).status === 200, 'the gateway to start');
      user = await controlPlane.api.signup('standalone');
    });

    afterAll(async () => {
      for (const bot of bots) await bot.quit().catch(() => {});
      if (gatewayProc && gatewayProc.exitCode === null && gatewayProc.signalCode === null) {
        const exited = new Promise((resolve) => gatewayProc!.once('exit', resolve));
        gatewayProc.kill('SIGTERM');
        const timer = setTimeout(() => gatewayProc!.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await controlPlane?.stop('SIGKILL').catch(() => {});
      // Game servers outlive the processes that started them by design: end this test's.
      if (dataDir) await endGameProcesses(dataDir);
      await db?.close().catch(() => {});
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      const nc = await connect({ servers: process.env.NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    });

    it('routes a server created after it started, keeps it awake while a player is on, and wakes it after the control plane put it to sleep', async () => {
      const api = controlPlane!.api;
      const created = await api.post(
        '/servers',
        {
          name: 'late',
          sku_id: 'starter',
          minecraft_version: BOT_TEST_VERSION,
          server_properties: { motd: 'Created after the gateway' },
          start: true,
        },
        user.token,
      );
      expect(created.status).toBe(202);
      const id = created.body.id as string;
      const host = (await api.get(`/servers/${id}/gateway`, user.token)).body.platform_hostname as string;
      expect(host).toMatch(/^late\.[a-z0-9-]+\.play\.test$/);
      await api.waitForStatus(id, user.token, 'running', 30_000);

      // Routed by the process that never restarted: its route comes from the status events (NATS) and
      // the database, which may reach it a moment after the API reported the server running.
      await until(
        async () =>
          (await pingOnce(gateway, BOT_TEST_VERSION, 3_000, host)).motd === 'Created after the gateway',
        'the gateway to route the new server',
        5_000,
      );
      const stayer = await joinBot(gateway, {
        username: 'Stayer',
        version: BOT_TEST_VERSION,
        serverHost: host,
      });
      bots.push(stayer);

      // Sleep on, one second idle: the control plane checks every second but counts the player the
      // game lists, although it connected through another process.
      const enabled = await api.patch(
        `/servers/${id}/gateway`,
        { sleep_enabled: true, idle_after_seconds: 1 },
        user.token,
      );
      expect(enabled.status).toBe(200);
      await new Promise((r) => setTimeout(r, 3_500));
      expect((await api.get(`/servers/${id}`, user.token)).body.status).toBe('running');
      expect(stayer.bot.entity).toBeDefined();

      // Alone, it goes to sleep (the control plane's doing: the gateway process owns nothing).
      await stayer.quit();
      bots.pop();
      await api.waitForStatus(id, user.token, 'sleeping', 15_000);
      await until(
        async () => /sleeping/i.test((await pingOnce(gateway, BOT_TEST_VERSION, 3_000, host)).motd),
        'the gateway to show the server asleep',
        5_000,
      );

      // A login through the standalone gateway starts it and lands on it.
      const waker = await joinBot(gateway, {
        username: 'Waker',
        version: BOT_TEST_VERSION,
        serverHost: host,
        timeoutMs: 25_000,
      });
      bots.push(waker);
      expect(waker.bot.entity).toBeDefined();
      expect((await api.get(`/servers/${id}`, user.token)).body.status).toBe('running');
      // The wake is recorded (in the background) by the process that woke it.
      const wakes = await api.waitForWakes(id, user.token, 20_000);
      expect(wakes[0]).toMatchObject({ player: 'Waker', from_status: 'sleeping', outcome: 'ready' });
    });

    it('answers /health and /metrics on its admin port', async () => {
      const health = await fetch(`${adminUrl}/health`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { checks: Record<string, Record<string, unknown>> };
      expect(body.checks.database).toMatchObject({ status: 'ok', backend: 'postgres' });
      expect(body.checks.gateway).toMatchObject({ status: 'ok', port: gateway.port });
      expect(body.checks.live).toMatchObject({
        event_bus: 'nats',
        ownership: { mode: 'none', shards_held: [] },
      });
      expect((await fetch(`${adminUrl}/metrics`)).status).toBe(401);
      const metrics = await fetch(`${adminUrl}/metrics`, {
        headers: { authorization: `Bearer ${LOOPBACK_METRICS_TOKEN}` },
      });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(
        /minefleet_gateway_wakes_total\{outcome="ready",from="sleeping"\} 1/,
      );
    });
  },
);
