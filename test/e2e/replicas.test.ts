import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '@minefleet/services/ownership/sharded-ownership';
import type { SignedUp } from '@minefleet/testkit/api';
import {
  LOOPBACK_METRICS_TOKEN,
  loopbackEnv,
  spawnControlPlane,
  type ControlPlaneProcess,
} from '@minefleet/testkit/control-plane-process';
import { createTestDatabase, type TestDatabase } from '@minefleet/testkit/databases';
import { LiveClient } from '@minefleet/testkit/live-client';
import { BOT_TEST_VERSION } from '@minefleet/testkit/minecraft';
import { freePortRange } from '@minefleet/testkit/ports';
import { endGameProcesses } from '@minefleet/testkit/processes';

/**
 * Two control-plane replicas (the built program, as separate processes) on one PostgreSQL database,
 * one NATS server and one data folder: events cross replicas, each server's background work runs on
 * exactly one replica, user actions work on either, and the survivor takes over when one is killed.
 * Needs DATABASE_URL and NATS_URL; CI (MINEFLEET_REQUIRE_POSTGRES=1) fails instead of skipping.
 */
const required = process.env.MINEFLEET_REQUIRE_POSTGRES === '1';
const available = Boolean(process.env.DATABASE_URL && process.env.NATS_URL);
if (required && !available) {
  throw new Error('MINEFLEET_REQUIRE_POSTGRES=1: the replica test needs DATABASE_URL and NATS_URL.');
}

const SHARDS = 16;

describe.skipIf(!available)(
  `two control-plane replicas${available ? '' : ' (skipped: needs DATABASE_URL and NATS)'}`,
  () => {
    const run = randomBytes(4).toString('hex');
    const stream = `MFTEST_REPLICAS_${run}`;
    let db: TestDatabase;
    let dataDir: string;
    const replicas: ControlPlaneProcess[] = [];
    const clients: LiveClient[] = [];
    let user: SignedUp;
    let serverId: string;

    const env = async (port: number, range: { from: number; to: number }): Promise<NodeJS.ProcessEnv> =>
      loopbackEnv({
        port,
        dataDir,
        portRange: range,
        databaseUrl: db.url,
        extra: {
          MINEFLEET_JWT_SECRET: `replicas-test-secret-${run}-0123456789abcdef`,
          MINEFLEET_LOGIN_RATE_LIMIT: '1000',
          MINEFLEET_METRICS_INTERVAL_SECONDS: '1',
          MINEFLEET_LEASE_TTL_SECONDS: '3',
          NATS_STREAM: stream,
          NATS_SUBJECT_PREFIX: `mftest_replicas_${run}`,
          NATS_STREAM_STORAGE: 'memory',
        },
      });

    /** Shards a replica holds, from its /health. */
    const shardsOf = async (replica: ControlPlaneProcess): Promise<number[]> => {
      const health = await replica.api.get('/health');
      return health.body.checks.live.ownership.shards_held as number[];
    };
    const ownerOf = async (id: string): Promise<ControlPlaneProcess> => {
      const shard = shardOf(id, SHARDS);
      for (const replica of replicas) if ((await shardsOf(replica)).includes(shard)) return replica;
      throw new Error(`nobody owns shard ${shard}`);
    };
    const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const gamePid = async () =>
      JSON.parse(
        await readFile(path.join(dataDir, 'servers', serverId, '.minefleet', 'process.json'), 'utf8'),
      ) as {
        pid: number;
        generation: number;
      };

    beforeAll(async () => {
      db = await createTestDatabase('postgres');
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-replicas-'));
      const ports = await freePortRange(2);
      const games = await freePortRange(5);
      replicas.push(await spawnControlPlane(await env(ports.from, games)));
      replicas.push(await spawnControlPlane(await env(ports.to, games)));
      // The second replica gets its share of the shards within a few lease intervals.
      await until(async () => {
        const [a, b] = await Promise.all(replicas.map(shardsOf));
        return (
          a!.length > 0 &&
          b!.length > 0 &&
          a!.length + b!.length === SHARDS &&
          !a!.some((s) => b!.includes(s))
        );
      }, 'the shards to spread over both replicas');
      user = await replicas[0]!.api.signup('replicas');
      const created = await replicas[0]!.api.post(
        '/servers',
        { name: 'shared-one', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
        user.token,
      );
      expect(created.status).toBe(202);
      serverId = created.body.id;
      await replicas[0]!.api.waitForStatus(serverId, user.token, 'stopped');
    });

    afterAll(async () => {
      for (const client of clients) client.socket.terminate();
      for (const replica of replicas) await replica.stop('SIGKILL').catch(() => {});
      // Game servers outlive control planes by design: end this test's (sandbox wrappers included).
      if (dataDir) await endGameProcesses(dataDir);
      await db?.close().catch(() => {});
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      const nc = await connect({ servers: process.env.NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    });

    it('a list page one replica keeps shows the other replica’s writes at once', async () => {
      const [first, second] = replicas;
      const names = async (replica: ControlPlaneProcess) => {
        const res = await replica.api.get('/servers?per_page=50', user.token);
        expect(res.status).toBe(200);
        return {
          names: (res.body.servers as { name: string }[]).map((s) => s.name).sort(),
          total: res.body.pagination.total as number,
        };
      };
      // Both replicas have read (and kept) the page before the write.
      expect(await names(first!)).toEqual({ names: ['shared-one'], total: 1 });
      expect(await names(second!)).toEqual({ names: ['shared-one'], total: 1 });
      const created = await second!.api.post(
        '/servers',
        { name: 'listed-elsewhere', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
        user.token,
      );
      expect(created.status).toBe(202);
      // The very next read on the first replica, no waiting: the page it kept is a version behind.
      expect(await names(first!)).toEqual({ names: ['listed-elsewhere', 'shared-one'], total: 2 });
      // A rename (once it is deployed: a deploying server's settings are busy).
      await second!.api.waitForStatus(created.body.id, user.token, 'stopped');
      expect(
        (await second!.api.patch(`/servers/${created.body.id}`, { name: 'renamed-elsewhere' }, user.token))
          .status,
      ).toBe(200);
      expect((await names(first!)).names).toEqual(['renamed-elsewhere', 'shared-one']);
      expect((await second!.api.delete(`/servers/${created.body.id}?force=true`, user.token)).status).toBe(
        202,
      );
      await until(
        async () => (await names(first!)).total === 1,
        'the deleted server to leave the first replica’s list',
      );
      expect((await names(first!)).names).toEqual(['shared-one']);
    });

    it('a status change and a console line produced on the owner reach a WebSocket client on the other replica', async () => {
      const owner = await ownerOf(serverId);
      const other = replicas.find((r) => r !== owner)!;
      const client = await LiveClient.open(other.url, user.token);
      clients.push(client);
      expect((await client.subscribe(serverId, ['status', 'console', 'metrics'])).type).toBe('subscribed');

      // Started through the owner: its status events travel through NATS to the other replica's socket.
      expect((await owner.api.post(`/servers/${serverId}/start`, {}, user.token)).status).toBe(202);
      await client.waitFor((m) => m.type === 'status' && m.data.status === 'starting');
      await client.waitFor((m) => m.type === 'status' && m.data.status === 'running', 30_000);

      // A command sent on the non-owner (which attaches to the owner's process on demand) prints a line
      // that the owner publishes, once, back to this socket.
      expect((await client.command(serverId, 'say across replicas')).type).toBe('command_accepted');
      await client.waitFor((m) => m.type === 'console' && m.data.message.includes('across replicas'));
      await new Promise((r) => setTimeout(r, 500));
      const lines = client.messages
        .filter((m) => m.type === 'console' && m.data.message.includes('across replicas'))
        .map((m) => `${m.data.source} ${m.data.message}`);
      expect(lines.length).toBeGreaterThan(0);
      expect(new Set(lines).size).toBe(lines.length); // each line once, although both replicas are attached

      // Only the owner samples the server: metrics arrive, and only the owner exports its gauges.
      await client.waitFor((m) => m.type === 'metrics' && m.data.players_online === 0, 10_000);
      const exported = async (r: ControlPlaneProcess) =>
        (
          (
            await r.api.request('GET', '/metrics', {
              headers: { authorization: `Bearer ${LOOPBACK_METRICS_TOKEN}` },
            })
          ).body as string
        ).includes(`server_id="${serverId}"`);
      // The gauges follow the collector's rounds (one a second here).
      await until(() => exported(owner), 'the owner to export the server’s gauges');
      expect(await exported(other)).toBe(false);
    });

    it('user actions on the non-owner work on a process the owner started, and a crash restarts once', async () => {
      const owner = await ownerOf(serverId);
      const other = replicas.find((r) => r !== owner)!;
      // Stop through the replica that did not start the process.
      expect((await other.api.post(`/servers/${serverId}/stop`, {}, user.token)).status).toBe(202);
      await other.api.waitForStatus(serverId, user.token, 'stopped', 30_000);
      await expect(gamePid().then(({ pid }) => process.kill(pid, 0))).rejects.toThrow();

      // Start through it: now the non-owner runs the process and the owner attaches to it.
      expect((await other.api.post(`/servers/${serverId}/start`, {}, user.token)).status).toBe(202);
      await other.api.waitForStatus(serverId, user.token, 'running', 30_000);
      const first = await gamePid();

      // A crash is recorded once and restarted once, by the owner (one new generation, not two).
      process.kill(first.pid, 'SIGKILL');
      await owner.api.waitForStatus(serverId, user.token, 'crashed', 15_000);
      const back = await owner.api.waitForStatus(serverId, user.token, 'running', 30_000);
      expect(back.status).toBe('running');
      const second = await gamePid();
      expect(second.pid).not.toBe(first.pid);
      expect(second.generation).toBe(first.generation + 1);
      await new Promise((r) => setTimeout(r, 3_000));
      expect((await gamePid()).generation).toBe(second.generation);
    });

    it('when a replica dies, the survivor takes over its servers and their console', async () => {
      const owner = await ownerOf(serverId);
      const survivor = replicas.find((r) => r !== owner)!;
      await owner.stop('SIGKILL');
      replicas.splice(replicas.indexOf(owner), 1);
      await until(
        async () => (await shardsOf(survivor)).length === SHARDS,
        'the survivor to hold every shard',
      );

      const client = await LiveClient.open(survivor.url, user.token);
      clients.push(client);
      await client.subscribe(serverId, ['console']);
      expect((await client.command(serverId, 'say still here')).type).toBe('command_accepted');
      await client.waitFor((m) => m.type === 'console' && m.data.message.includes('still here'));
      const server = await survivor.api.get(`/servers/${serverId}`, user.token);
      expect(server.body.status).toBe('running');
    });
  },
);
