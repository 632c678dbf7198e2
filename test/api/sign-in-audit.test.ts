import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';

/**
 * Failed sign-ins are caused by anyone on the network: they are counted into one audit row per address,
 * account and minute instead of one row each, so a flood cannot fill the audit trail.
 */
describe.each(testBackends())('failed sign-ins in the audit log on %s', (backend) => {
  let cp: RunningControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane(backend, {
      env: {
        MINEFLEET_LOGIN_RATE_LIMIT_PER_ADDRESS: '1000',
        MINEFLEET_LOGIN_RATE_LIMIT_PER_ACCOUNT: '1000',
      },
    });
  });
  afterAll(async () => {
    await cp?.close();
  });

  const failures = (email: string) =>
    cp.db.database.system((tx) =>
      tx.query.auditEvents.findMany({
        where: (a, { and, eq, sql }) =>
          and(eq(a.action, 'auth.login'), eq(a.outcome, 'failure'), sql`${a.details}->>'email' = ${email}`),
      }),
    );

  it('50 failed sign-ins from one address make a bounded number of rows whose counts add up to 50', async () => {
    const user = await cp.api.signup('flooded');
    const unknown = `nobody-${Date.now()}@example.com`;
    for (let i = 0; i < 50; i++) {
      expect(
        (await cp.api.post('/auth/login', { email: user.email, password: 'wrong password here' })).status,
      ).toBe(401);
      expect(
        (await cp.api.post('/auth/login', { email: unknown, password: 'wrong password here' })).status,
      ).toBe(401);
    }
    for (const email of [user.email, unknown]) {
      const rows = await failures(email);
      // One row a minute; the loop may straddle a minute's end.
      expect(rows.length).toBeGreaterThanOrEqual(1);
      expect(rows.length).toBeLessThanOrEqual(2);
      expect(rows.reduce((sum, r) => sum + Number((r.details as { count: number }).count), 0)).toBe(50);
      for (const r of rows) expect(r).toMatchObject({ tenantId: null, statusCode: 401 });
    }
    expect((await failures(user.email))[0]!.actorUserId).toBe(user.userId);
    expect((await failures(unknown))[0]!.actorUserId).toBeNull();
  });
});
