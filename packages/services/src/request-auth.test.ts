import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberships, tenants, users } from '@minefleet/db/schema';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { AuthCache } from './auth-cache.js';
import { RequestAuth } from './request-auth.js';
import { SessionStore } from './sessions.js';
import { SessionTokens } from './tokens.js';

describe.each(testBackends())('request authentication on %s', (backend) => {
  let t: TestDatabase;
  const clock = { now: () => Date.now() };
  let cache: AuthCache;
  let auth: RequestAuth;
  let issue: () => Promise<string>;
  let lookups = 0;
  let userId: string;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    cache = new AuthCache(clock);
    const sessions = new SessionStore(t.database, clock, cache, { idleMs: 3_600_000, maxMs: 86_400_000 });
    const tokens = new SessionTokens('a test secret of at least thirty-two bytes!', 3600, clock);
    const [tenant] = await t.database.system((tx) => tx.insert(tenants).values({ name: 'auth' }).returning());
    const [user] = await t.database.system((tx) =>
      tx.insert(users).values({ email: 'auth@example.com', passwordHash: 'x', displayName: 'A' }).returning(),
    );
    userId = user!.id;
    await t.database.system((tx) =>
      tx.insert(memberships).values({ tenantId: tenant!.id, userId: user!.id, role: 'admin' }),
    );
    issue = async () => {
      const session = await sessions.open(user!.id, {});
      return tokens.issue({ sub: user!.id, tid: tenant!.id, sid: session.id }).token;
    };
    // The membership lookup is the one read through `drizzle.select`: count those.
    const counted = new Proxy(t.database, {
      get(target, property, receiver) {
        if (property !== 'drizzle') return Reflect.get(target, property, receiver) as unknown;
        return new Proxy(target.drizzle, {
          get(drizzle, name, r) {
            const value = Reflect.get(drizzle, name, r) as unknown;
            if (name !== 'select' || typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              lookups += 1;
              return (value as (...a: unknown[]) => unknown).apply(drizzle, args);
            };
          },
        });
      },
    });
    auth = new RequestAuth(counted, tokens, clock, cache, sessions);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers requests of one session that arrive together from one lookup, each with its own copy', async () => {
    const token = await issue();
    lookups = 0;
    const actors = await Promise.all(Array.from({ length: 10 }, () => auth.authenticate(token)));
    expect(lookups).toBe(1);
    expect(actors.every((a) => a.role === 'admin')).toBe(true);
    expect(new Set(actors).size).toBe(10);
  });

  it('does not share a lookup that began before the cache was cleared (a role change, a sign-out)', async () => {
    const token = await issue();
    lookups = 0;
    const before = auth.authenticate(token);
    cache.forgetUser(userId);
    const after = auth.authenticate(token);
    await Promise.all([before, after]);
    expect(lookups).toBe(2);
  });
});
