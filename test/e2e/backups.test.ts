import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Vec3 } from 'vec3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBackupStore } from '@minefleet/backups/local-store';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { BOT_TEST_VERSION, joinBot, type BlockPosition, type TestBot } from '@minefleet/testkit/minecraft';

/**
 * A real local store that can be told to fail the next upload after some bytes, like a disk filling up
 * midway: the bytes before the failure really reach the store's temporary file.
 */
class DiskFullStore implements BackupStore {
  readonly kind = 'local';
  failAfterBytes: number | null = null;
  /** Whether the last put was offered the archive's buffers back (the runner passes `onWritten`). */
  lastPutHandsBack = false;
  constructor(readonly inner: LocalBackupStore) {}
  put(key: string, body: AsyncIterable<Uint8Array>, options?: Parameters<BackupStore['put']>[2]) {
    this.lastPutHandsBack = options?.onWritten !== undefined;
    const limit = this.failAfterBytes;
    if (limit === null) return this.inner.put(key, body, options);
    this.failAfterBytes = null;
    const failing = (async function* () {
      let seen = 0;
      for await (const chunk of body) {
        if (seen >= limit)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        seen += chunk.length;
        yield chunk;
      }
    })();
    return this.inner.put(key, failing, options);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  stat(key: string) {
    return this.inner.stat(key);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  check() {
    return this.inner.check();
  }
}

/**
 * The backup end-to-end flows with real flying-squid servers and real mineflayer bots: worlds A and B
 * restored in turn (and the pre-restore backup), a hot backup taken while a bot builds restored into a
 * new server that loads it cleanly, an upload failing midway (save-on still sent), a corrupted archive
 * refused with the world untouched, and a command schedule reaching the game.
 */
describe('backups of real servers', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let user: SignedUp;
  let storeDir: string;
  let store: DiskFullStore;
  let serverId: string;
  let address: { host: string; port: number };
  let bot: TestBot | undefined;

  beforeAll(async () => {
    storeDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-e2e-store-'));
    store = new DiskFullStore(new LocalBackupStore(storeDir));
    cp = await startControlPlane(primaryBackend(), {
      backupStore: store,
      env: { MINEFLEET_SCHEDULE_MIN_INTERVAL_SECONDS: '1', MINEFLEET_SCHEDULER_TICK_MS: '100' },
    });
    api = cp.api;
    user = await api.signup('e2e-backups');
    const created = await api.post(
      '/servers',
      {
        name: 'e2e-backups',
        sku_id: 'starter',
        minecraft_version: BOT_TEST_VERSION,
        server_properties: { gamemode: 'creative' },
        start: true,
      },
      user.token,
    );
    serverId = created.body.id;
    address = created.body.address;
    await api.waitForStatus(serverId, user.token, 'running', 60_000);
  });
  afterAll(async () => {
    await bot?.quit();
    await cp?.close();
    await rm(storeDir, { recursive: true, force: true });
  });

  const join = async (name = 'Builder', at = address) => {
    await bot?.quit();
    bot = await joinBot(at, { username: name, version: BOT_TEST_VERSION });
    return bot;
  };
  const waitForBackup = async (id: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await api.get(`/backups/${id}`, user.token);
      if (!['pending', 'running', 'restoring'].includes(res.body.status)) return res.body;
      if (Date.now() > deadline) throw new Error(`backup still ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const backup = async (body: Record<string, unknown> = {}, server = serverId) => {
    const res = await api.post(`/servers/${server}/backups`, body, user.token);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return waitForBackup(res.body.id);
  };
  /** Restores and waits until the server is running again (it was running before). */
  const restore = async (backupId: string, body: Record<string, unknown> = {}) => {
    bot = undefined; // the stop disconnects it
    const res = await api.post(`/servers/${serverId}/backups/${backupId}/restore`, body, user.token);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.status).toBe('restoring');
    await api.waitForServer(
      serverId,
      user.token,
      (s) => s.status === 'running' && s.status_reason === null,
      60_000,
    );
  };
  const logs = async (server: string, query: string) =>
    (await api.get(`/servers/${server}/logs?${query}&per_page=1000`, user.token)).body.logs as {
      level: string;
      message: string;
      ts: string;
    }[];
  const storageKeyOf = async (id: string) => {
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) await walk(path.join(dir, entry.name));
        else files.push(path.join(dir, entry.name));
      }
    };
    await walk(storeDir);
    return files.find((f) => path.basename(f).startsWith(id));
  };

  let spot: BlockPosition;

  /** Breaks the block and waits until the bot sees air there. */
  const dig = async (b: TestBot, at: BlockPosition) => {
    await b.bot.dig(b.bot.blockAt(new Vec3(at.x, at.y, at.z))!);
    const deadline = Date.now() + 10_000;
    while ((await b.blockNameAt(at)) !== 'air' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
  };

  it('restores world A and world B in turn; the pre-restore backup restores too', async () => {
    const b = await join();
    spot = await b.placeBlockBeside('stone');
    expect(await b.blockNameAt(spot)).toBe('stone');
    const a = await backup({ name: 'world-a' });
    expect(a.status).toBe('completed');
    // The store hands each written chunk back, so the engine reads the next one into the same memory.
    expect(store.lastPutHandsBack).toBe(true);

    await dig(b, spot);
    const replaced = await b.placeBlockBeside('oak_planks');
    expect(replaced).toEqual(spot); // the same spot, now another block
    expect(await b.blockNameAt(spot)).toBe('oak_planks');
    const worldB = await backup({ name: 'world-b' });
    expect(worldB.status).toBe('completed');

    await restore(a.id);
    expect(await (await join()).blockNameAt(spot)).toBe('stone');
    await restore(worldB.id);
    expect(await (await join()).blockNameAt(spot)).toBe('oak_planks');

    // The pre-restore backup taken before restoring B holds world A.
    const pre = (
      await api.get(`/servers/${serverId}/backups?sort=-created_at&per_page=100`, user.token)
    ).body.backups.filter((x: { type: string }) => x.type === 'pre_restore');
    expect(pre).toHaveLength(2);
    await restore(pre[0].id, { pre_restore_backup: false });
    expect(await (await join()).blockNameAt(spot)).toBe('stone');
    const after = (await api.get(`/servers/${serverId}/backups?per_page=100`, user.token)).body.backups;
    expect(after.filter((x: { type: string }) => x.type === 'pre_restore')).toHaveLength(2);
  });

  it('a hot backup taken while a bot builds is a world a new server loads without errors', async () => {
    const b = await join();
    let building = true;
    let placed = 0;
    let lastBuildError: unknown;
    const builder = (async () => {
      while (building) {
        try {
          const at = await b.placeBlockBeside('stone');
          placed++;
          await dig(b, at);
        } catch (error) {
          // A slow confirmation under load: keep building. A failure that comes at once (the bot was
          // disconnected) must still let the event loop run, or this loop would starve the test's timers.
          lastBuildError = error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();
    // The bot is mid-way through its building loop when the backup starts, and goes on during it.
    const started = Date.now();
    while (placed < 2 && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 20));
    const hot = await backup({ name: 'while-building' });
    const placedBy = placed;
    while (placed === placedBy && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
    building = false;
    await builder;
    expect(hot.status, JSON.stringify(hot)).toBe('completed');
    expect(
      placed,
      `the bot kept building during the backup (last error: ${String(lastBuildError)})`,
    ).toBeGreaterThan(placedBy);
    const since = hot.created_at;
    const lines = (await logs(serverId, `since=${since}`)).map((l) => l.message);
    const off = lines.findIndex((m) => m.includes('Automatic saving is now disabled'));
    const saved = lines.findIndex((m, i) => i > off && m.includes('Saved the game'));
    const on = lines.findIndex((m, i) => i > saved && m.includes('Automatic saving is now enabled'));
    const order = lines.join('\n');
    expect(off, order).toBeGreaterThanOrEqual(0);
    expect(saved, order).toBeGreaterThan(off);
    expect(on, order).toBeGreaterThan(saved);

    const copy = await api.post(
      '/servers',
      {
        name: 'e2e-copy',
        sku_id: 'starter',
        minecraft_version: BOT_TEST_VERSION,
        server_properties: { gamemode: 'creative' },
      },
      user.token,
    );
    await api.waitForStatus(copy.body.id, user.token, 'stopped');
    const into = await api.post(
      `/backups/${hot.id}/restore`,
      { server_id: copy.body.id, start_after: true },
      user.token,
    );
    expect(into.status).toBe(202);
    const copyRunning = await api.waitForServer(
      copy.body.id,
      user.token,
      (s) => s.status === 'running' && s.status_reason === null,
      60_000,
    );
    // The builder's player file came with the world: they are back where they stood, by the block. (The
    // copy was created stopped, so its address comes with its start.)
    const visitor = await joinBot(copyRunning.address, { username: 'Builder', version: BOT_TEST_VERSION });
    expect(await visitor.blockNameAt(spot)).toBe('stone'); // the world of the backup, not a new one
    await visitor.quit();
    const errors = await logs(copy.body.id, 'level=error');
    expect(errors, JSON.stringify(errors)).toEqual([]);
    await api.request('DELETE', `/api/v1/servers/${copy.body.id}?force=true`, { token: user.token });
  });

  it('an upload failing midway: backup failed, nothing stored, saving resumed, the next backup works', async () => {
    // Incompressible filler, so the archive is several chunks and the failure comes in the middle.
    const filler = path.join(cp.dataDir, 'servers', serverId, 'filler');
    await mkdir(filler, { recursive: true });
    for (let i = 0; i < 4; i++) await writeFile(path.join(filler, `${i}.bin`), randomBytes(1024 * 1024));
    store.failAfterBytes = 1024 * 1024;
    const broken = await backup({ name: 'disk-full', compression: 'none' });
    expect(broken.status).toBe('failed');
    expect(broken.error).toMatch(/ENOSPC/);
    expect(broken.size_bytes).toBe(0);
    const completed = (
      await api.get(`/servers/${serverId}/backups?status=completed&per_page=100`, user.token)
    ).body.backups;
    expect(completed.map((x: { id: string }) => x.id)).not.toContain(broken.id);
    expect(await storageKeyOf(broken.id)).toBeUndefined();
    expect(await readdir(path.join(storeDir, '.incoming'))).toEqual([]);
    const resumed = await logs(serverId, `since=${broken.created_at}&q=Automatic saving is now enabled`);
    expect(resumed.length).toBeGreaterThan(0);
    expect((await api.get(`/servers/${serverId}`, user.token)).body.status).toBe('running');
    const next = await backup({ name: 'after-disk-full', compression: 'none' });
    expect(next.status).toBe('completed');
    await rm(filler, { recursive: true, force: true });
  });

  it('a corrupted archive is refused at restore (BACKUP_CORRUPT) and the world is untouched', async () => {
    const good = await backup({ name: 'to-corrupt' });
    const file = (await storageKeyOf(good.id))!;
    const handle = await open(file, 'r+');
    const { size } = await handle.stat();
    const middle = Math.floor(size / 2);
    const original = Buffer.alloc(16);
    await handle.read(original, 0, 16, middle);
    await handle.write(Buffer.from(original.map((b) => b ^ 0xff)), 0, 16, middle);
    await handle.close();

    await bot?.quit();
    bot = undefined;
    await api.post(`/servers/${serverId}/stop`, {}, user.token);
    await api.waitForStatus(serverId, user.token, 'stopped', 30_000);
    const world = path.join(cp.dataDir, 'servers', serverId, 'world');
    const before = await folderHash(world);
    const res = await api.post(
      `/servers/${serverId}/backups/${good.id}/restore`,
      { start_after: false },
      user.token,
    );
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('restoring');
    // Back to stopped once the restore gave up (the 202 came with the server already `restoring`).
    const server = await api.waitForStatus(serverId, user.token, 'stopped', 30_000);
    expect(server.status_reason).toMatch(/restore failed/);
    const refused = await waitForBackup(good.id);
    expect(refused.status).toBe('completed');
    expect(refused.error).toMatch(/^BACKUP_CORRUPT/);
    expect(await folderHash(world)).toBe(before);
    await access(path.join(world, 'level.dat'));

    // Still startable, with its world.
    await api.post(`/servers/${serverId}/start`, {}, user.token);
    await api.waitForStatus(serverId, user.token, 'running', 60_000);
    expect(await (await join()).blockNameAt(spot)).toBe('stone');
  });

  it('a command schedule reaches the running game and records its runs', async () => {
    const listener = bot ?? (await join());
    const heard = listener.waitForMessage(/scheduled-hello/, 15_000);
    const created = await api.post(
      `/servers/${serverId}/schedules`,
      { cron: '*/2 * * * * *', action: 'command', payload: { command: 'say scheduled-hello' } },
      user.token,
    );
    expect(created.status).toBe(201);
    expect(await heard).toMatch(/scheduled-hello/);
    await api.delete(`/servers/${serverId}/schedules/${created.body.id}`, user.token).catch(() => undefined);
    const lines = await logs(serverId, 'q=scheduled-hello');
    expect(lines.length).toBeGreaterThan(0);
  });
});

/** SHA-256 over every file's relative path and bytes, in sorted order. */
async function folderHash(root: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else hash.update(path.relative(root, full)).update(await readFile(full));
    }
  };
  await walk(root);
  return hash.digest('hex');
}
