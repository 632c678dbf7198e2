// The platform on Kubernetes, end to end through its API and its gateway: the built control plane with
// MINEFLEET_RUNTIME=kubernetes and the standalone gateway (`minefleet gateway run`, as the Helm chart's
// gateway Deployment runs it) on one PostgreSQL database and one NATS server, against a real API server,
// the real StatefulSet controller, the operator in-process and FakeNode playing the kubelet: it runs each
// pod's game (the image's entrypoint) in a network namespace of its own, so pings and players reach a
// real server at the pod's address, and a new pod (after a wake) is somewhere else.
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { isStatus } from '@minefleet/runtime-kubernetes/kube/client';
import {
  SERVER_ID_LABEL,
  TENANT_LABEL,
  podName,
  resourceName,
  resourcePath,
  type ServerResource,
} from '@minefleet/runtime-kubernetes/resource';
import type { SignedUp } from '@minefleet/testkit/api';
import { assertCliBuilt, startCli } from '@minefleet/testkit/cli';
import {
  loopbackEnv,
  spawnControlPlane,
  type ControlPlaneProcess,
} from '@minefleet/testkit/control-plane-process';
import { createTestDatabase, type TestDatabase } from '@minefleet/testkit/databases';
import { BOT_TEST_VERSION, freePort, joinBot, pingOnce, type TestBot } from '@minefleet/testkit/minecraft';
import { LiveClient } from '@minefleet/testkit/live-client';
import { freePortRange } from '@minefleet/testkit/ports';
import { GAME_PORT } from '../../apps/operator/src/builders/common.js';
import type { Operator } from '../../apps/operator/src/operator.js';
import { clusterUnavailable, eventually, startCluster, type TestCluster } from './cluster.js';
import type { FakeNode } from './fake-node.js';
import { startGameNamespace } from './game-namespace.js';
import { serverJourney } from '../e2e/server-journey.js';

const noCluster = clusterUnavailable();
const noServices =
  process.env.DATABASE_URL && process.env.NATS_URL ? undefined : 'no DATABASE_URL and NATS_URL';
if (process.env.MINEFLEET_REQUIRE_POSTGRES === '1' && noServices)
  throw new Error(
    'MINEFLEET_REQUIRE_POSTGRES=1: the platform-on-Kubernetes test needs DATABASE_URL and NATS_URL.',
  );
const unavailable = noCluster ?? noServices;
if (unavailable) console.warn(`\n!!! SKIPPING the platform-on-Kubernetes suite: ${unavailable} !!!\n`);

const NAMESPACE = 'minefleet-servers';

describe.skipIf(unavailable)(
  `the platform on Kubernetes through its API and its gateway${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    const run = randomBytes(4).toString('hex');
    const stream = `MFTEST_K8S_${run}`;
    let cluster: TestCluster;
    let node: FakeNode;
    let operator: Operator;
    let db: TestDatabase;
    let dataDir: string;
    let env: NodeJS.ProcessEnv;
    let cp: ControlPlaneProcess;
    let gatewayProc: ChildProcess | undefined;
    let gatewayOutput = '';
    let gateway: { host: string; port: number };
    let user: SignedUp;
    const bots: TestBot[] = [];

    const get = <T>(p: string) => cluster.api.request<T>('GET', p);
    const resourceOf = (id: string) => get<ServerResource>(resourcePath(NAMESPACE, resourceName(id)));
    const gone = async (p: string) => {
      try {
        await get(p);
        return false;
      } catch (error) {
        return isStatus(error, 404);
      }
    };

    beforeAll(async () => {
      assertCliBuilt();
      cluster = await startCluster();
      ({ node, operator } = await startGameNamespace(cluster, NAMESPACE, { runContainers: true }));

      db = await createTestDatabase('postgres');
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'mf-k8s-platform-'));
      const [apiPort, gatewayPort, adminPort] = [await freePort(), await freePort(), await freePort()];
      gateway = { host: '127.0.0.1', port: gatewayPort };
      // One environment for both processes, as the chart gives them.
      env = loopbackEnv({
        port: apiPort,
        dataDir,
        portRange: await freePortRange(4),
        databaseUrl: db.url,
        extra: {
          MINEFLEET_RUNTIME: 'kubernetes',
          MINEFLEET_KUBECONFIG: cluster.kubeconfig,
          MINEFLEET_K8S_NAMESPACE: NAMESPACE,
          // The pod's address is where the game listens; a Service has no DNS name here.
          MINEFLEET_K8S_ADDRESS: 'pod-ip',
          MINEFLEET_JWT_SECRET: `k8s-platform-secret-${run}-0123456789abcdef`,
          NATS_STREAM: stream,
          NATS_SUBJECT_PREFIX: `mftest_k8s_${run}`,
          NATS_STREAM_STORAGE: 'memory',
          MINEFLEET_GAME_DOMAIN: 'play.test',
          MINEFLEET_SLEEP_CHECK_SECONDS: '1',
          MINEFLEET_GATEWAY_HOST: '127.0.0.1',
          MINEFLEET_GATEWAY_PORT: String(gatewayPort),
          MINEFLEET_GATEWAY_RATE_PER_SECOND: '1000',
          MINEFLEET_GATEWAY_ADMIN_PORT: String(adminPort),
          // A stopped server's maintenance pod goes soon after its last use, so the test sees it go.
          MINEFLEET_K8S_MAINTENANCE_LINGER_SECONDS: '2',
          // The built-in catalogue only (no network here).
          MINEFLEET_PLUGIN_SOURCES: 'local',
        },
      });
      gatewayProc = startCli(['gateway', 'run'], env);
      gatewayProc.stdout!.on('data', (d: Buffer) => (gatewayOutput += d.toString()));
      gatewayProc.stderr!.on('data', (d: Buffer) => (gatewayOutput += d.toString()));
      gatewayProc.stdin!.end();
      cp = await spawnControlPlane({ ...env, MINEFLEET_GATEWAY: 'external' });
      await eventually(
        'the gateway to start',
        async () => (await fetch(`http://127.0.0.1:${adminPort}/health`)).ok,
      );
      user = await cp.api.signup('k8s');
    }, 240_000);

    afterAll(async () => {
      for (const bot of bots) await bot.quit().catch(() => {});
      if (gatewayProc && gatewayProc.exitCode === null && gatewayProc.signalCode === null) {
        const exited = new Promise((resolve) => gatewayProc!.once('exit', resolve));
        gatewayProc.kill('SIGTERM');
        await exited;
      }
      await cp?.stop().catch(() => {});
      await operator?.stop();
      await node?.stop();
      await cluster?.stop();
      await db?.close().catch(() => {});
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      const nc = await connect({ servers: process.env.NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }, 120_000);

    it('deploys, starts, stops and deletes through the API; a control plane killed outright is followed by one that adopts the server', async () => {
      const created = await cp.api.post(
        '/servers',
        { name: 'on-kubernetes', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
        user.token,
      );
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      const id = created.body.id as string;
      await cp.api.waitForStatus(id, user.token, 'stopped', 30_000);
      const resource = await resourceOf(id);
      expect(resource.metadata.labels).toMatchObject({
        [TENANT_LABEL]: user.tenantId,
        [SERVER_ID_LABEL]: id,
      });
      expect(resource.spec.state).toBe('Stopped');

      expect((await cp.api.post(`/servers/${id}/start`, {}, user.token)).status).toBe(202);
      await cp.api.waitForStatus(id, user.token, 'running', 45_000);
      expect((await resourceOf(id)).spec.state).toBe('Running');
      const podPathOf = `/api/v1/namespaces/${NAMESPACE}/pods/${podName(id)}`;
      const podUid = (await get<V1Pod>(podPathOf)).metadata?.uid;
      const startedAt = (await cp.api.get(`/servers/${id}`, user.token)).body.started_at as string;

      // A control plane killed outright: the next one finds the server running where it was.
      await cp.stop('SIGKILL');
      cp = await spawnControlPlane({ ...env, MINEFLEET_GATEWAY: 'external' });
      const adopted = await cp.api.get(`/servers/${id}`, user.token);
      expect(adopted.body).toMatchObject({ status: 'running', started_at: startedAt, runtime: 'kubernetes' });
      expect((await get<V1Pod>(podPathOf)).metadata?.uid).toBe(podUid);

      // The files of a running server are on its pod's volume (the files API reaches them through the agent).
      const files = await cp.api.get(`/servers/${id}/files`, user.token);
      expect(files.status, JSON.stringify(files.body)).toBe(200);

      expect((await cp.api.post(`/servers/${id}/stop`, {}, user.token)).status).toBe(202);
      await cp.api.waitForStatus(id, user.token, 'stopped', 45_000);
      expect((await resourceOf(id)).spec.state).toBe('Stopped');
      // A stopped server's volume is mounted by no game pod: a maintenance pod (the agent alone) serves its
      // files and its log, and the server stays stopped.
      const offline = await cp.api.get(`/servers/${id}/files`, user.token);
      expect(offline.status, JSON.stringify(offline.body)).toBe(200);
      expect(JSON.stringify(offline.body)).toContain('world');
      const offlineLog = await cp.api.get(`/servers/${id}/logs?per_page=5`, user.token);
      expect(offlineLog.status, JSON.stringify(offlineLog.body)).toBe(200);
      expect(offlineLog.body.logs.length).toBeGreaterThan(0);
      expect((await resourceOf(id)).spec.state).toBe('Maintenance');
      expect((await cp.api.get(`/servers/${id}`, user.token)).body.status).toBe('stopped');

      expect((await cp.api.delete(`/servers/${id}`, user.token)).status).toBe(202);
      await eventually('the server’s resource and pod to be gone', async () => {
        const left = await Promise.all([resourcePath(NAMESPACE, resourceName(id)), podPathOf].map(gone));
        return left.every(Boolean);
      });
    }, 150_000);

    it('backs up a running server and a stopped one (a maintenance pod reaches its volume) and restores with the checksum checked, through the API', async () => {
      const { api } = cp;
      const { token } = user;
      const created = await api.post(
        '/servers',
        { name: 'archived', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
        token,
      );
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      const id = created.body.id as string;
      const podPathOf = `/api/v1/namespaces/${NAMESPACE}/pods/${podName(id)}`;
      await api.waitForStatus(id, token, 'stopped', 30_000);
      expect((await api.post(`/servers/${id}/start`, {}, token)).status).toBe(202);
      await api.waitForStatus(id, token, 'running', 45_000);
      const mark = async (content: string) => {
        const saved = await api.request('PUT', `/api/v1/servers/${id}/files/content?path=marker.txt`, {
          token,
          body: { content },
          headers: { 'if-match': '*' },
        });
        expect([200, 201], JSON.stringify(saved.body)).toContain(saved.status);
      };
      const marker = async () =>
        (await api.get(`/servers/${id}/files/content?path=marker.txt`, token)).body.content as string;
      const waitForBackup = async (backupId: string) => {
        let body: Record<string, unknown> = {};
        await eventually(
          'the backup to finish',
          async () => {
            body = (await api.get(`/backups/${backupId}`, token)).body;
            return !['pending', 'running', 'restoring'].includes(body['status'] as string);
          },
          60_000,
        );
        return body;
      };
      const backup = async (body: Record<string, unknown>) => {
        const res = await api.post(`/servers/${id}/backups`, body, token);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        const done = await waitForBackup(res.body.id as string);
        expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', error: null });
        return done as { id: string; sha256: string; size_bytes: number };
      };
      const archiveFile = async (backupId: string) => {
        const found = (await readdir(dataDir, { recursive: true })).find((f) =>
          path.basename(f).startsWith(backupId),
        );
        expect(found, `the archive of ${backupId} in the local store`).toBeTruthy();
        return path.join(dataDir, found!);
      };

      // Hot: the game runs; the pod's agent archives its folder with saving paused.
      await mark('one\n');
      const hot = await backup({ name: 'hot', compression: 'zstd' });
      expect(hot.sha256).toMatch(/^[0-9a-f]{64}$/);
      // The checksum on record is the archive's as stored and as downloaded.
      const download = await fetch(`${cp.url}/api/v1/backups/${hot.id}/download`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(download.status).toBe(200);
      const bytes = Buffer.from(await download.arrayBuffer());
      expect(bytes.length).toBe(hot.size_bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(hot.sha256);

      // Cold: no pod mounts a stopped server's volume; a maintenance pod (the agent without the game) does,
      // for the while, and the resource is Stopped again after it.
      await mark('two\n');
      expect((await api.post(`/servers/${id}/stop`, {}, token)).status).toBe(202);
      await api.waitForStatus(id, token, 'stopped', 45_000);
      await eventually('the pod to be gone', () => gone(podPathOf));
      const cold = await backup({ name: 'cold', compression: 'none' });
      expect(cold.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect((await api.get(`/servers/${id}`, token)).body.status).toBe('stopped');
      await eventually(
        'the maintenance pod to go after its last use',
        async () => (await resourceOf(id)).spec.state === 'Stopped' && (await gone(podPathOf)),
        30_000,
      );

      // A damaged archive is refused by the agent's checks (BACKUP_CORRUPT); the world stays as it was.
      const damaged = await open(await archiveFile(cold.id), 'r+');
      const { size } = await damaged.stat();
      const original = Buffer.alloc(16);
      await damaged.read(original, 0, 16, Math.floor(size / 2));
      await damaged.write(Buffer.from(original.map((b) => b ^ 0xff)), 0, 16, Math.floor(size / 2));
      await damaged.close();
      const refusedRes = await api.post(
        `/servers/${id}/backups/${cold.id}/restore`,
        { start_after: false, pre_restore_backup: false },
        token,
      );
      expect(refusedRes.status, JSON.stringify(refusedRes.body)).toBe(202);
      const stopped = await api.waitForServer(
        id,
        token,
        (s) => s.status === 'stopped' && s.status_reason !== null,
        60_000,
      );
      expect(stopped.status_reason).toMatch(/restore failed/);
      expect((await waitForBackup(cold.id))['error']).toMatch(/^BACKUP_CORRUPT/);

      // The hot backup restored: a safety copy of the current world first, then the archive, then a start.
      const restored = await api.post(
        `/servers/${id}/backups/${hot.id}/restore`,
        { start_after: true },
        token,
      );
      expect(restored.status, JSON.stringify(restored.body)).toBe(202);
      await api.waitForServer(id, token, (s) => s.status === 'running' && s.status_reason === null, 90_000);
      expect(await marker()).toBe('one\n');
      expect((await resourceOf(id)).spec.state).toBe('Running');
      const listed = (await api.get(`/servers/${id}/backups`, token)).body.backups as {
        type: string;
        status: string;
      }[];
      expect(listed.filter((b) => b.type === 'pre_restore').map((b) => b.status)).toEqual(['completed']);
    }, 240_000);

    it('the server journey (the same as on the local runtime): a player at the gateway address, the console, a block backed up and restored, a plugin, stop, delete', async () => {
      await serverJourney(
        {
          api: cp.api,
          url: cp.url,
          token: user.token,
          // The address the API gives is the server's gateway hostname and the gateway's port: the player
          // connects to the gateway, naming the hostname in its handshake.
          connect: (address) => {
            expect(address.port).toBe(gateway.port);
            return { address: gateway, serverHost: address.host };
          },
          stopped: async (serverId) => {
            const name = resourceName(serverId);
            const resource = await eventually('phase Stopped', async () => {
              const r = await resourceOf(serverId);
              return r.status?.phase === 'Stopped' ? r : undefined;
            });
            expect(resource.spec.state).toBe('Stopped');
            const sts = await get<V1StatefulSet>(
              `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets/${name}`,
            );
            expect(sts.spec?.replicas).toBe(0);
          },
          gone: (serverId) =>
            eventually('every object of the server to be gone', async () => {
              const name = resourceName(serverId);
              const left = await Promise.all(
                [
                  resourcePath(NAMESPACE, name),
                  `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets/${name}`,
                  `/api/v1/namespaces/${NAMESPACE}/services/${name}`,
                  `/api/v1/namespaces/${NAMESPACE}/pods/${podName(serverId)}`,
                  `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims/data-${podName(serverId)}`,
                ].map(gone),
              );
              return left.every(Boolean);
            }).then(() => undefined),
        },
        'journey',
      );
    }, 300_000);

    it('installs a plugin and bans a player in a stopped server’s volume (through a maintenance pod); started, the plugin runs and the ban holds', async () => {
      const { api } = cp;
      const { token } = user;
      const created = await api.post(
        '/servers',
        { name: 'plugged', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
        token,
      );
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      const id = created.body.id as string;
      await api.waitForStatus(id, token, 'stopped', 30_000);
      await eventually(
        'the built-in catalogue to be synced',
        async () => (await api.get('/plugins/local:hello', token)).status === 200,
      );
      const installed = await api.post(
        `/servers/${id}/plugins`,
        { plugin_id: 'local:hello', config_overrides: { greeting: 'Howdy {player}, from Kubernetes' } },
        token,
      );
      expect(installed.status, JSON.stringify(installed.body)).toBe(202);
      expect(installed.body.applied).toBe('on_restart');
      let list: { id: string; plugin_id: string; status: string; error?: string | null }[] = [];
      await eventually(
        'both plugins to be installed',
        async () => {
          list = (await api.get(`/servers/${id}/plugins`, token)).body.plugins;
          return list.length === 2 && list.every((i) => i.status !== 'installing');
        },
        60_000,
      );
      expect(list.map((i) => [i.plugin_id, i.status]).sort(), JSON.stringify(list)).toEqual([
        ['local:hello', 'installed'],
        ['local:mf-core', 'installed'],
      ]);
      // On the volume, where the game's launcher reads them (the files API shows them while it is stopped).
      const names = async () =>
        ((await api.get(`/servers/${id}/files?path=plugins`, token)).body.entries as { name: string }[]).map(
          (e) => e.name,
        );
      expect(await names()).toEqual(
        expect.arrayContaining(['hello.js', 'mf-core.js', 'load-order.json', 'package.json', 'hello']),
      );
      expect((await api.get(`/servers/${id}`, token)).body.status).toBe('stopped');
      // The player lists are files on the volume too: a ban made while it is stopped is in force at its start.
      const banned = await api.post(
        `/servers/${id}/players/bans`,
        { name: 'Outsider', reason: 'Banned on Kubernetes' },
        token,
      );
      expect(banned.status, JSON.stringify(banned.body)).toBe(200);
      expect(banned.body.applied).toBe('file');
      const lists = await api.get(`/servers/${id}/players/lists`, token);
      expect(lists.status, JSON.stringify(lists.body)).toBe(200);
      expect(lists.body.bans.map((b: { name: string }) => b.name)).toEqual(['Outsider']);

      expect((await api.post(`/servers/${id}/start`, {}, token)).status).toBe(202);
      await api.waitForStatus(id, token, 'running', 45_000);
      const host = node.podIP(`${NAMESPACE}/${podName(id)}`)!;
      await expect(
        joinBot({ host, port: GAME_PORT }, { username: 'Outsider', version: BOT_TEST_VERSION }),
      ).rejects.toThrow(/Banned on Kubernetes/);
      // While it runs, a change goes through the console and is confirmed in the game's own file.
      const opped = await api.post(`/servers/${id}/players/ops`, { name: 'Greeted', level: 2 }, token);
      expect(opped.status, JSON.stringify(opped.body)).toBe(200);
      expect(opped.body.applied).toBe('live');
      const player = await joinBot(
        { host, port: GAME_PORT },
        { username: 'Greeted', version: BOT_TEST_VERSION },
      );
      bots.push(player);
      const answer = player.waitForMessage(/Howdy|Command not found/);
      player.bot.chat('/hello');
      expect(await answer).toBe('Howdy Greeted, from Kubernetes');

      // Disabled on the running server: the file is renamed in the pod's volume (it applies on restart).
      const hello = list.find((i) => i.plugin_id === 'local:hello')!;
      const disabled = await api.patch(`/servers/${id}/plugins/${hello.id}`, { enabled: false }, token);
      expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
      expect(await names()).toEqual(expect.arrayContaining(['hello.js.disabled', 'mf-core.js']));
      expect(await names()).not.toContain('hello.js');
      await player.quit();
    }, 180_000);

    it('routes a player to the pod, sleeps the server (resource Stopped) and wakes it through its MinecraftServer when a player joins', async () => {
      const api = cp.api;
      const created = await api.post(
        '/servers',
        {
          name: 'sleeper',
          sku_id: 'starter',
          minecraft_version: BOT_TEST_VERSION,
          server_properties: { motd: 'Sleeper on Kubernetes' },
        },
        user.token,
      );
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      const id = created.body.id as string;
      const pod = `${NAMESPACE}/${podName(id)}`;
      await api.waitForStatus(id, user.token, 'stopped', 30_000);
      expect((await api.post(`/servers/${id}/start`, {}, user.token)).status).toBe(202);
      await api.waitForStatus(id, user.token, 'running', 45_000);
      const host = (await api.get(`/servers/${id}/gateway`, user.token)).body.platform_hostname as string;
      expect(host).toMatch(/^sleeper\.[a-z0-9-]+\.play\.test$/);
      // Its address is the gateway's (a pod has none players can reach), in the server and in the list.
      const address = { host, port: gateway.port };
      expect((await api.get(`/servers/${id}`, user.token)).body.address).toEqual(address);
      const listed = (await api.get('/servers', user.token)).body.servers as {
        id: string;
        address: unknown;
      }[];
      expect(listed.find((s) => s.id === id)?.address).toEqual(address);

      // Routed by hostname to the pod's address (the driver's, not a game port on this host).
      const before = node.podIP(pod)!;
      expect(before).toBeTruthy();
      await eventually(
        `the gateway to route to the pod\n${gatewayOutput}`,
        async () => (await pingOnce(gateway, BOT_TEST_VERSION, 3_000, host)).motd === 'Sleeper on Kubernetes',
        15_000,
      );

      // Empty for a second: the control plane puts it to sleep, which stops its MinecraftServer.
      const enabled = await api.patch(
        `/servers/${id}/gateway`,
        { sleep_enabled: true, idle_after_seconds: 1 },
        user.token,
      );
      expect(enabled.status).toBe(200);
      await api.waitForStatus(id, user.token, 'sleeping', 20_000);
      expect((await resourceOf(id)).spec.state).toBe('Stopped');
      await eventually('the pod to be gone', () => gone(`/api/v1/namespaces/${pod.replace('/', '/pods/')}`));
      await eventually(
        'the gateway to show the server asleep',
        async () => /sleeping/i.test((await pingOnce(gateway, BOT_TEST_VERSION, 3_000, host)).motd),
        10_000,
      );
      // A ping does not wake it.
      expect((await resourceOf(id)).spec.state).toBe('Stopped');

      // The next pod is elsewhere (another address): a login must land where it is, not where the old was.
      const waker = await joinBot(gateway, {
        username: 'Waker',
        version: BOT_TEST_VERSION,
        serverHost: host,
        timeoutMs: 25_000,
      });
      bots.push(waker);
      expect(waker.bot.entity).toBeDefined();
      expect((await resourceOf(id)).spec.state).toBe('Running');
      expect((await api.get(`/servers/${id}`, user.token)).body.status).toBe('running');
      // The player is on the new pod's game, at its new address.
      const after = node.podIP(pod)!;
      expect(after).toBeTruthy();
      expect(after).not.toBe(before);
      expect((await pingOnce({ host: after, port: GAME_PORT }, BOT_TEST_VERSION)).online).toBe(1);
      expect(await pingOnce(gateway, BOT_TEST_VERSION, 3_000, host)).toMatchObject({
        motd: 'Sleeper on Kubernetes',
        online: 1,
      });
      // The console through the API's WebSocket: the command reaches the game in the pod (through its
      // in-pod agent), the player sees its effect and the output comes back on the socket.
      const live = await LiveClient.open(cp.url, user.token);
      try {
        expect((await live.subscribe(id, ['console'])).type).toBe('subscribed');
        const seen = waker.waitForMessage(/hello from the console/, 15_000);
        expect((await live.command(id, 'say hello from the console')).type).toBe('command_accepted');
        await seen;
        await live.waitFor(
          (m) =>
            m.type === 'console' &&
            (m.data as { source: string }).source !== 'command' &&
            (m.data as { message: string }).message.includes('hello from the console'),
        );
      } finally {
        await live.close();
      }
      // The files API on the pod's volume, through its agent: a save with ETags (a stale one refused, nothing
      // lost), the listing, the content, a path out of the folder refused; the world the game wrote is there.
      const put = (p: string, content: string, headers: Record<string, string> = {}) =>
        api.request('PUT', `/api/v1/servers/${id}/files/content?path=${encodeURIComponent(p)}`, {
          token: user.token,
          body: { content },
          headers,
        });
      const saved = await put('notes/hello.txt', 'first\n');
      expect(saved.status, JSON.stringify(saved.body)).toBe(201);
      const etag = saved.body.etag as string;
      expect((await put('notes/hello.txt', 'second\n', { 'if-match': etag })).status).toBe(200);
      const stale = await put('notes/hello.txt', 'lost update\n', { 'if-match': etag });
      expect(stale.status).toBe(412);
      expect(stale.body.error.code).toBe('FILE_CHANGED');
      const read = await api.get(`/servers/${id}/files/content?path=notes/hello.txt`, user.token);
      expect(read.body).toMatchObject({ content: 'second\n', encoding: 'utf-8', binary: false });
      const listing = await api.get(`/servers/${id}/files?path=notes`, user.token);
      expect(listing.status, JSON.stringify(listing.body)).toBe(200);
      expect(JSON.stringify(listing.body)).toContain('hello.txt');
      const root = JSON.stringify((await api.get(`/servers/${id}/files`, user.token)).body);
      expect(root).toContain('world');
      const escape = await api.get(`/servers/${id}/files/content?path=..%2Fetc%2Fpasswd`, user.token);
      expect(escape.status).toBe(400);

      // The game's log, read through the pod's agent, has the command and its output.
      const logs = await api.get(`/servers/${id}/logs?q=hello%20from%20the%20console`, user.token);
      expect(logs.status, JSON.stringify(logs.body)).toBe(200);
      const sources = (logs.body.logs as { source: string }[]).map((l) => l.source);
      expect(sources).toContain('command');
      expect(sources.some((source) => source !== 'command')).toBe(true);

      const wakes = await api.waitForWakes(id, user.token, 20_000);
      expect(wakes[0]).toMatchObject({ player: 'Waker', from_status: 'sleeping', outcome: 'ready' });

      // Players are managed through the console on Kubernetes too: the player is listed online, and a kick
      // disconnects it with its reason.
      await eventually('the player to be listed online', async () =>
        (
          (await api.get(`/servers/${id}/players`, user.token)).body.players as { name: string }[] | undefined
        )?.some((p) => p.name === 'Waker'),
      );
      const kicked = await api.post(
        `/servers/${id}/players/kick`,
        { name: 'Waker', reason: 'Kicked on Kubernetes' },
        user.token,
      );
      expect(kicked.status, JSON.stringify(kicked.body)).toBe(200);
      expect(await waker.ended).toContain('Kicked on Kubernetes');
    }, 150_000);
  },
);
