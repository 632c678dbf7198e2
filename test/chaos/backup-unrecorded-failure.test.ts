import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBackupStore } from '@minefleet/backups/local-store';
import { tarArchiveEngine } from '@minefleet/backups/archive-engine';
import type { Database } from '@minefleet/db/database';
import { backups, tenants } from '@minefleet/db/schema';
import { systemClock } from '@minefleet/domain/clock';
import { InProcessEventBus } from '@minefleet/event-bus/in-process-event-bus';
import { createLocalDriver } from '@minefleet/runtime-local/create-local-driver';
import { BackupRecovery } from '@minefleet/services/backups/backup-recovery';
import { BackupRunner } from '@minefleet/services/backups/backup-runner';
import { localServerArchives } from '@minefleet/services/backups/local-server-archives';
import type { Logger } from '@minefleet/services/logger';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';

/**
 * Found by the chaos run: the database went away as a backup ended, so recording its completion failed,
 * then marking it failed failed too, and that rejection (of a job nobody awaits) ended the control
 * plane. Now the failure is logged, the process lives, and the sweep marks the row failed once the
 * database answers again.
 */
describe.each(testBackends())('a backup ending while the database is away, on %s', (backend) => {
  let t: TestDatabase | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs the failed write instead of rejecting; the sweep records the failure later', async () => {
    t = await createTestDatabase(backend);
    dir = await mkdtemp(path.join(tmpdir(), 'minefleet-backup-away-'));
    const real = t.database;
    let away = false;
    // The real database, except that every statement fails while `away`, as on a reset connection.
    const db = new Proxy(real, {
      get(target, key, receiver) {
        if (key === 'system')
          return (fn: Parameters<Database['system']>[0]) =>
            away ? Promise.reject(new Error('connect ECONNRESET 127.0.0.1:5432')) : target.system(fn);
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const errors: { obj: object; msg?: string }[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (obj, msg) => errors.push({ obj, ...(msg ? { msg } : {}) }),
      child: () => logger,
    };
    const runtime = createLocalDriver({ dataDir: path.join(dir, 'data') });
    const store = new LocalBackupStore(path.join(dir, 'store'));
    const tenantId = randomUUID();
    const serverId = randomUUID();
    await mkdir(runtime.workspace(serverId).root, { recursive: true });
    await writeFile(path.join(runtime.workspace(serverId).root, 'level.dat'), 'world');
    await real.system((tx) => tx.insert(tenants).values({ id: tenantId, name: 'away' }));
    const [record] = await real.system((tx) =>
      tx
        .insert(backups)
        .values({ tenantId, serverId, serverName: 'away', name: 'b1', storageKey: `${serverId}/b1` })
        .returning(),
    );
    const runner = new BackupRunner({
      db,
      store,
      archives: localServerArchives(runtime, tarArchiveEngine),
      runtime,
      events: new InProcessEventBus(),
      clock: systemClock,
      logger,
      workerId: 'replica-a',
      saveTimeoutMs: 5_000,
    });

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // The database goes away once the job is running, so completing and failing it both fail.
      const put = store.put.bind(store);
      store.put = async (...args) => {
        const stored = await put(...args);
        away = true;
        return stored;
      };
      const outcome = await runner.run(record!);
      expect(outcome).toMatchObject({ id: record!.id, status: 'failed' });
      expect(outcome.error).toContain('ECONNRESET');
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(errors.map((e) => e.msg)).toContain(
      'could not mark a failed backup failed; the sweep tries again',
    );
    // Still `running` under this live replica: the sweep would skip it without the runner's list.
    const [stuck] = await real.system((tx) => tx.select().from(backups).where(eq(backups.id, record!.id)));
    expect(stuck).toMatchObject({ status: 'running', workerId: 'replica-a' });

    away = false;
    const recovery = new BackupRecovery({
      db,
      store,
      archives: localServerArchives(runtime, tarArchiveEngine),
      runtime,
      runner,
      logger,
      workerId: 'replica-a',
      workerAlive: () => Promise.resolve(true),
      owns: () => true,
    });
    await recovery.failInterrupted({ boot: false });
    const [after] = await real.system((tx) => tx.select().from(backups).where(eq(backups.id, record!.id)));
    expect(after).toMatchObject({ status: 'failed', workerId: null });
    expect(after!.error).toContain('ECONNRESET');
    expect(await runner.recordUnrecorded()).toBe(0);
  });
});
