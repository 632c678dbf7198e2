import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

/**
 * On the embedded database the server list's pages are kept between writes (server-pages.ts); these
 * writes go through every kind of code path (the API, the lifecycle's status updates, bare SQL as the
 * reconcile loop or an upkeep job would write) and the next list must show each one at once. On
 * PostgreSQL the pages are kept per tenant server list version, and the same assertions hold.
 */
describe.each(testBackends())('server list pages kept between writes, on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let a: SignedUp;
  let b: SignedUp;

  beforeAll(async () => {
    cp = await startControlPlane(backend);
    api = cp.api;
    a = await api.signup('pages-a');
    b = await api.signup('pages-b');
  });
  afterAll(async () => {
    await cp?.close();
  });

  const list = async (token: string, query = '?per_page=20') => {
    const res = await api.get(`/servers${query}`, token);
    expect(res.status).toBe(200);
    return res.body as {
      servers: { id: string; name: string; status: string; players_online: number | null }[];
      pagination: { total: number };
    };
  };
  const system = (statement: ReturnType<typeof sql>) =>
    cp.db.database.system(async (tx) => {
      await tx.execute(statement);
    });

  it('shows creates, status changes, renames and deletes from any code path, and never another tenant’s page', async () => {
    expect((await list(a.token)).servers).toEqual([]);
    expect((await list(b.token)).servers).toEqual([]);

    // Create through the API; the lifecycle then moves it to stopped in the background.
    const created = await api.post(
      '/servers',
      { name: 'kept-1', sku_id: 'starter', minecraft_version: '1.20.2' },
      a.token,
    );
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    expect((await list(a.token)).servers.map((s) => s.name)).toEqual(['kept-1']);
    await api.waitForStatus(id, a.token, 'stopped');
    const afterLifecycle = await list(a.token);
    expect(afterLifecycle.servers[0]).toMatchObject({ id, status: 'stopped' });
    expect(afterLifecycle.pagination.total).toBe(1);

    // The same query by the other tenant (which has a page of its own by now) never answers A's.
    expect(await list(b.token)).toEqual({ servers: [], pagination: { page: 1, per_page: 20, total: 0 } });

    // Status and player count written with bare SQL (as the reconcile loop and the metrics collector do).
    await system(sql`update servers set status = 'running', players_online = 3 where id = ${id}`);
    expect((await list(a.token)).servers[0]).toMatchObject({ status: 'running', players_online: 3 });
    await system(sql`update servers set status = 'stopped', players_online = 0 where id = ${id}`);
    expect((await list(a.token)).servers[0]).toMatchObject({ status: 'stopped', players_online: null });

    // A rename through the settings API, then one with bare SQL.
    expect((await api.patch(`/servers/${id}`, { name: 'kept-renamed' }, a.token)).status).toBe(200);
    expect((await list(a.token)).servers[0]!.name).toBe('kept-renamed');
    await system(sql`update servers set name = 'kept-sql' where id = ${id}`);
    expect((await list(a.token)).servers[0]!.name).toBe('kept-sql');

    // A row inserted with bare SQL: in the page and in the (otherwise remembered) total.
    await system(
      sql`insert into servers (tenant_id, name, sku_id, distribution, minecraft_version, status, desired_state,
            cpu_millicores, memory_mb, storage_mb, max_players, server_properties)
          values (${a.tenantId}, 'kept-sql-2', 'starter', 'flying-squid', '1.20.2', 'stopped', 'stopped',
            1000, 1024, 5120, 10, '{}'::jsonb)`,
    );
    const two = await list(a.token);
    expect(two.servers.map((s) => s.name).sort()).toEqual(['kept-sql', 'kept-sql-2']);
    expect(two.pagination.total).toBe(2);
    // Another query (a filter, a page size) is its own page, kept and dropped the same way.
    expect((await list(a.token, '?per_page=1')).servers).toHaveLength(1);
    await system(sql`delete from servers where name = 'kept-sql-2' and tenant_id = ${a.tenantId}`);
    expect((await list(a.token, '?per_page=1')).pagination.total).toBe(1);
    expect((await list(a.token)).servers.map((s) => s.name)).toEqual(['kept-sql']);

    // B's own server shows in B's list only; A's pages stay A's.
    const mine = await api.post(
      '/servers',
      { name: 'b-own', sku_id: 'starter', minecraft_version: '1.20.2' },
      b.token,
    );
    expect(mine.status).toBe(202);
    expect((await list(b.token)).servers.map((s) => s.name)).toEqual(['b-own']);
    expect((await list(a.token)).servers.map((s) => s.name)).toEqual(['kept-sql']);

    // Delete through the API: gone from the list once the lifecycle has removed it.
    expect((await api.delete(`/servers/${id}?force=true`, a.token)).status).toBe(202);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const now = await list(a.token);
      if (now.servers.length === 0) {
        expect(now.pagination.total).toBe(0);
        break;
      }
      expect(now.servers[0]!.status).toMatch(/^(deleting|stopped)$/);
      if (Date.now() > deadline) throw new Error('server was not deleted');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await list(b.token)).servers.map((s) => s.name)).toEqual(['b-own']);
  });

  it('answers a kept page again while nothing announced or counted a write (the page is really kept)', async () => {
    const before = await list(b.token);
    expect(before.servers.map((s) => s.name)).toEqual(['b-own']);
    // A write that neither trigger sees (replication role: triggers off), as nothing in Minefleet writes.
    await cp.db.database.system(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`update servers set name = 'b-unseen' where tenant_id = ${b.tenantId}`);
    });
    expect(await list(b.token)).toEqual(before);
    // The next write that the triggers see brings the page up to date, the unseen rename included.
    await system(sql`update servers set players_online = 0 where tenant_id = ${b.tenantId}`);
    expect((await list(b.token)).servers.map((s) => s.name)).toEqual(['b-unseen']);
  });
});
