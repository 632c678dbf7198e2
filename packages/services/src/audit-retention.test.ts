import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, tenants } from '@minefleet/db/schema';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { AuditLog } from './audit.js';

const DAY = 86_400_000;

describe.each(testBackends())('audit retention on %s', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("deletes a tenant's events past a year and anonymous ones (failed sign-ins) past a month", async () => {
    const tenantId = randomUUID();
    await db.database.system((tx) => tx.insert(tenants).values({ id: tenantId, name: 'audited' }));
    const now = Date.now();
    const event = (action: string, daysAgo: number, tenant: string | null) => ({
      tenantId: tenant,
      action,
      outcome: 'success' as const,
      createdAt: new Date(now - daysAgo * DAY),
    });
    await db.database.system((tx) =>
      tx
        .insert(auditEvents)
        .values([
          event('tenant.recent', 10, tenantId),
          event('tenant.old', 400, tenantId),
          event('signin.recent', 5, null),
          event('signin.old', 40, null),
        ]),
    );
    const audit = new AuditLog(db.database);
    expect(await audit.prune(new Date(now - 365 * DAY), new Date(now - 30 * DAY))).toBe(2);
    const left = await db.database.system((tx) =>
      tx.select({ action: auditEvents.action }).from(auditEvents),
    );
    expect(left.map((r) => r.action).sort()).toEqual(['signin.recent', 'tenant.recent']);
  });
});
