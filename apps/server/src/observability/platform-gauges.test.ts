import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBackupStore } from '@minefleet/backups/local-store';
import { backups, schedules, servers, tenants } from '@minefleet/db/schema';
import { seedSkus } from '@minefleet/services/skus';
import { createTestDatabase, primaryBackend, type TestDatabase } from '@minefleet/testkit/databases';
import { serverRow } from '@minefleet/testkit/records';
import { registerPlatformGauges } from './platform-gauges.js';

const HOUR = 3_600_000;

/** One sample of `name` with every given label, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/**
 * The series the alert rules read about the platform's dependencies, on a real database and real backup
 * stores: a scheduled server's last successful backup and planned interval, the store's reachability,
 * and the database's answer (closed: down).
 */
describe('platform gauges', () => {
  let t: TestDatabase;
  let dir: string;
  const tenantId = randomUUID();
  const ids = { hourly: randomUUID(), fresh: randomUUID(), unscheduled: randomUUID() };

  beforeAll(async () => {
    t = await createTestDatabase(primaryBackend());
    dir = await mkdtemp(path.join(tmpdir(), 'mf-gauges-'));
    await seedSkus(t.database);
    await t.database.system(async (tx) => {
      await tx.insert(tenants).values({ id: tenantId, name: 'gauges' });
      for (const [name, id] of Object.entries(ids)) {
        await tx
          .insert(servers)
          .values(serverRow({ id, tenantId, name, skuId: 'starter', status: 'stopped', maxPlayers: 5 }));
      }
      const old = new Date(Date.now() - 48 * HOUR);
      // Every 6 hours (and a command schedule every minute, which is not a backup plan).
      await tx.insert(schedules).values([
        { tenantId, serverId: ids.hourly, cron: '0 */6 * * *', action: 'backup', updatedAt: old },
        { tenantId, serverId: ids.hourly, cron: '* * * * *', action: 'command', updatedAt: old },
        { tenantId, serverId: ids.fresh, cron: '0 3 * * *', action: 'backup' },
        { tenantId, serverId: ids.unscheduled, cron: '0 * * * *', action: 'backup', enabled: false },
      ]);
      const backup = (name: string, status: 'completed' | 'failed', completedAt: Date) => ({
        tenantId,
        serverId: ids.hourly,
        serverName: 'hourly',
        name,
        status,
        storageKey: `k/${name}`,
        completedAt,
      });
      await tx
        .insert(backups)
        .values([
          backup('ok', 'completed', new Date(Date.now() - 20 * HOUR)),
          backup('newer-but-failed', 'failed', new Date(Date.now() - HOUR)),
        ]);
    });
  });
  afterAll(async () => {
    // The last test closes the database itself.
    await t?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  function gauges(storeRoot: string) {
    const registry = new Registry();
    const errors: string[] = [];
    registerPlatformGauges(
      registry,
      {
        database: t.database,
        backupStore: new LocalBackupStore(storeRoot),
        now: () => Date.now(),
        onError: (what) => errors.push(what),
      },
      { dbTimeoutMs: 5_000, storeCacheMs: 0, storeTimeoutMs: 5_000, freshnessCacheMs: 0 },
    );
    return { registry, errors };
  }

  it('exports the newest completed backup and the planned interval of scheduled servers only', async () => {
    const { registry, errors } = gauges(path.join(dir, 'store'));
    const text = await registry.metrics();
    expect(errors).toEqual([]);
    const last = sample(text, 'minefleet_backup_last_success_timestamp_seconds', { server_id: ids.hourly });
    // The completed one 20 h ago counts; the failed one an hour ago does not.
    expect(last).toBeGreaterThan((Date.now() - 20 * HOUR - 60_000) / 1000);
    expect(last).toBeLessThan((Date.now() - 19 * HOUR) / 1000);
    expect(
      sample(text, 'minefleet_backup_schedule_interval_seconds', {
        server_id: ids.hourly,
        tenant_id: tenantId,
      }),
    ).toBe(6 * 3600);
    // A schedule created just now, with no backup yet, counts from its creation: not overdue.
    const fresh = sample(text, 'minefleet_backup_last_success_timestamp_seconds', { server_name: 'fresh' });
    expect(fresh).toBeGreaterThan((Date.now() - 5 * 60_000) / 1000);
    expect(sample(text, 'minefleet_backup_schedule_interval_seconds', { server_id: ids.fresh })).toBe(86_400);
    // A disabled schedule plans nothing.
    expect(text).not.toContain(ids.unscheduled);

    await t.database.system((tx) =>
      tx.update(schedules).set({ enabled: false }).where(eq(schedules.serverId, ids.fresh)),
    );
    expect(await registry.metrics()).not.toContain(ids.fresh);
  });

  it('says whether the backup store and the database answer', async () => {
    const ok = gauges(path.join(dir, 'store'));
    const text = await ok.registry.metrics();
    expect(sample(text, 'minefleet_backup_store_up', { kind: 'local' })).toBe(1);
    expect(sample(text, 'minefleet_db_up')).toBe(1);
    expect(sample(text, 'minefleet_db_ping_seconds')).toBeGreaterThan(0);

    // A store folder under a regular file cannot be created: unreachable.
    await writeFile(path.join(dir, 'not-a-folder'), 'x');
    const broken = gauges(path.join(dir, 'not-a-folder', 'store'));
    expect(sample(await broken.registry.metrics(), 'minefleet_backup_store_up')).toBe(0);
    expect(broken.errors).toContain('backup store');
  });

  it('reports the database down once it stops answering, keeping the last backup series', async () => {
    const { registry, errors } = gauges(path.join(dir, 'store'));
    expect(await registry.metrics()).toContain(ids.hourly);
    await t.close();
    const text = await registry.metrics();
    expect(sample(text, 'minefleet_db_up')).toBe(0);
    // NaN, not 0: a dead database must not look fast.
    expect(sample(text, 'minefleet_db_ping_seconds')).toBeNaN();
    expect(errors).toContain('database');
    expect(sample(text, 'minefleet_backup_schedule_interval_seconds', { server_id: ids.hourly })).toBe(
      6 * 3600,
    );
  });
});
