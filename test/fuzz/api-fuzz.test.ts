import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '@minefleet/domain/errors';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import {
  backupsSettled,
  login,
  snapshot,
  tenantFixture,
  type Actor,
  type TenantFixture,
} from './fixtures.js';
import { Prng, seedFromEnv } from './prng.js';
import {
  buildRequest,
  operationsOf,
  type FuzzRequest,
  type IdPools,
  type OpenApiDocument,
  type Operation,
} from './requests.js';
import type { Kind, Schema } from './schema-values.js';

/**
 * Schema-driven fuzzing of every route of the control plane (docs/security.md, "Fuzzing"): requests are
 * generated from its own OpenAPI document — valid, at the limits, and mutated — and sent in-process with
 * app.inject() as each role of two tenants (and anonymously). Invariants: no 5xx (but the refusals the
 * fuzz host is set up to give), every error has a code of the catalogue, no answer to one tenant names the
 * other's data, and a refused (4xx) change leaves both tenants' state as it was.
 *
 * `FUZZ_CASES` (default 300: the fixed-seed run of the normal suite) and `FUZZ_SEED` (default 20261202)
 * choose the run; `npm run test:fuzz` is the long one.
 */
const CASES = Number(process.env.FUZZ_CASES ?? 300);
const SEED = seedFromEnv(20261202);

/**
 * 5xx answers the fuzz host gives by design: it admits no game server at all (a tiny host memory share,
 * so start, restart, wake and scheduled restarts reach the real code but never spawn a process), and it
 * has no internet (Mojang's and the plugin sources' APIs are closed ports).
 */
const EXPECTED_5XX = new Set(['HOST_CAPACITY', 'PLAYER_LOOKUP_UNAVAILABLE', 'PLUGIN_SOURCE_UNAVAILABLE']);
const CODES = new Set(Object.keys(ERROR_CATALOGUE));

/** Routes whose success ends or replaces the caller's session: the actor signs in again afterwards. */
const SESSION_ROUTE = /^\/api\/v1\/(auth|me)\b/;

interface Failure {
  case: number;
  invariant: string;
  request: string;
  status: number;
  body: string;
}

describe('API fuzzing (schema-driven, seeded)', () => {
  let cp: RunningControlPlane;
  let a: TenantFixture;
  let b: TenantFixture;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    cp = await startControlPlane('pglite', {
      env: { MINEFLEET_HOST_MEMORY_PERCENT: '0.0001', MINEFLEET_QUOTA_MAX_SERVERS: '25' },
    });
    const marker = new Prng(SEED).string(8);
    a = await tenantFixture(cp.api, 'A', `fza${marker}`);
    b = await tenantFixture(cp.api, 'B', `fzb${marker}`);
    await backupsSettled(cp.db.database, [a.tenantId, b.tenantId], 60_000);
    await cp.controlPlane.app.ready();
    doc = cp.controlPlane.app.swagger() as unknown as OpenApiDocument;
  }, 180_000);
  afterAll(async () => {
    await cp?.close();
  });

  it(
    `${CASES} cases: no 5xx, catalogued error codes, no cross-tenant data, refused changes change nothing`,
    async () => {
      const r = new Prng(SEED);
      // A live stream never ends on its own, so inject() would wait forever; it has its own tests.
      const ops = operationsOf(doc).filter((op) => !op.path.endsWith('/stream'));
      expect(ops.length).toBeGreaterThan(100);
      const sent = new Set<string>();
      // What each tenant's callers have named themselves (the other tenant's ids they tried): an answer
      // may repeat it later (the audit log records the attempt) without revealing anything.
      const named = { A: new Set<string>(), B: new Set<string>() };
      const components: Record<string, Schema> = doc.components?.schemas ?? {};
      const tenants = [a.tenantId, b.tenantId];
      const failures: Failure[] = [];
      const byKindStatus = new Map<string, number>();
      const byRouteClass = new Map<string, number>();
      const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
      const started = Date.now();

      for (let i = 0; i < CASES; i++) {
        const op = ops[i % ops.length]!;
        const kind: Kind = r.pick(['valid', 'valid', 'boundary', 'mutated', 'mutated']);
        const who = r.next();
        const fixture = r.chance(0.5) ? a : b;
        const actor: Actor | undefined = who < 0.1 ? undefined : r.pick(fixture.actors);
        const req = buildRequest(
          op,
          r,
          kind,
          poolsFor(op, actor ? fixture : undefined, fixture === a ? b : a),
          components,
          adjustBody,
        );
        if (actor) req.headers.authorization = `Bearer ${actor.token}`;
        else if (who < 0.03)
          req.headers.authorization = `Bearer ${r.pick(['', 'x', 'mf_'.padEnd(60, 'a'), 'eyJhbGciOiJub25lIn0.e30.'])}`;

        const mutating = op.method !== 'GET';
        if (mutating) await backupsSettled(cp.db.database, tenants);
        const before = mutating ? await snapshot(cp.db.database, tenants) : '';
        const res = await inject(cp, req);
        const text = res.body;
        count(byKindStatus, `${kind} ${res.statusCode}`);
        count(byRouteClass, `${routeClass(op)} ${kind}`);
        sent.add(`${op.method} ${op.path}`);
        const fail = (invariant: string) =>
          failures.push({
            case: i,
            invariant,
            request: `${req.method} ${req.url.slice(0, 300)} as ${actor ? `${actor.tenant}/${actor.role}` : 'anonymous'} (${kind}) ${typeof req.payload === 'string' ? req.payload.slice(0, 300) : ''}`,
            status: res.statusCode,
            body: text.slice(0, 500),
          });

        let code: string | undefined;
        if (res.statusCode >= 400) {
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            code = undefined;
          }
          if (!code || !CODES.has(code)) fail('error without a catalogued code');
        }
        if (res.statusCode >= 500 && !(code && EXPECTED_5XX.has(code))) fail('5xx');
        if (actor) {
          const other = actor.tenant === 'A' ? b : a;
          for (const s of other.secrets) if (req.mentions.includes(s)) named[actor.tenant].add(s);
          const leaked = other.secrets.find((s) => text.includes(s) && !named[actor.tenant].has(s));
          if (leaked) fail(`answer to tenant ${actor.tenant} names tenant ${other.label}'s ${leaked}`);
        }
        if (mutating && res.statusCode >= 400 && res.statusCode < 500) {
          await backupsSettled(cp.db.database, tenants);
          if ((await snapshot(cp.db.database, tenants)) !== before) fail('refused request changed state');
        }
        if (actor && res.statusCode < 300 && SESSION_ROUTE.test(op.path) && mutating) {
          const me = await cp.controlPlane.app.inject({
            method: 'GET',
            url: '/api/v1/me',
            headers: { authorization: `Bearer ${actor.token}` },
          });
          if (me.statusCode === 401) actor.token = await login(cp.api, actor);
        }
        if (failures.length >= 25) break;
      }

      const seconds = (Date.now() - started) / 1000;
      const report = [
        `fuzz seed=${SEED} cases=${CASES} routes=${sent.size} of ${ops.length} in ${seconds.toFixed(1)} s`,
        'by route class and kind:',
        ...[...byRouteClass.entries()].sort().map(([k, n]) => `  ${k}: ${n}`),
        'by kind and status:',
        ...[...byKindStatus.entries()].sort().map(([k, n]) => `  ${k}: ${n}`),
      ].join('\n');
      process.stdout.write(`${report}\n`);
      expect(failures, `seed ${SEED}; replay with FUZZ_SEED=${SEED} FUZZ_CASES=${CASES}`).toEqual([]);
    },
    Math.max(120_000, CASES * 500),
  );
});

/** The route's family, for the report: its first segment after /api/v1 (servers/* split by sub-resource). */
function routeClass(op: Operation): string {
  const parts = op.path.replace(/^\/api\/v1\//, '').split('/');
  if (parts[0] === 'servers' && parts.length > 2) return `servers/${parts[2]}`;
  return parts[0] ?? '';
}

async function inject(cp: RunningControlPlane, req: FuzzRequest) {
  const res = await Promise.race([
    cp.controlPlane.app.inject({
      method: req.method as 'GET',
      url: req.url,
      headers: req.headers,
      ...(req.payload !== undefined ? { payload: req.payload } : {}),
    }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`hung: ${req.method} ${req.url}`)), 30_000),
    ),
  ]);
  return { statusCode: res.statusCode, body: res.body };
}

/**
 * Ids a request may put in its path. The acting tenant's own ids are named (so requests reach the use
 * cases) except where success would delete a fixture the rest of the run needs: the resource a DELETE
 * names, and members (their roles are what the run varies). The other tenant's ids are always candidates:
 * they must answer as if they did not exist.
 */
function poolsFor(op: Operation, own: TenantFixture | undefined, other: TenantFixture): IdPools {
  const ids = (f: TenantFixture | undefined): Record<string, string[]> => {
    if (!f) return {};
    const servers = op.path.startsWith('/api/v1/servers/') ? { id: f.serverIds } : {};
    return {
      ...servers,
      ...(op.path.startsWith('/api/v1/api-keys/') ? { id: f.apiKeyIds } : {}),
      backup_id: f.backupIds,
      schedule_id: f.scheduleIds,
      user_id: f.actors.map((x) => x.userId),
      server_id: f.serverIds,
    };
  };
  const mine = ids(own);
  delete mine.user_id;
  if (op.method === 'DELETE') {
    const last = /\{(\w+)\}$/.exec(op.path)?.[1];
    if (last) delete mine[last];
  }
  return { own: mine, other: ids(other) };
}

/** Keeps the run's own actors usable: the fuzzer never makes its tenants require two-factor sign-in. */
function adjustBody(op: Operation, body: unknown): unknown {
  if (op.path === '/api/v1/tenant/security' && body && typeof body === 'object' && 'require_2fa' in body)
    return { ...(body as object), require_2fa: false };
  return body;
}
