import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StringEnum } from '../schemas/common.js';

export type CheckStatus = 'ok' | 'degraded' | 'down';

/** One part of the platform that /health reports on. A `critical` check that is down makes health 503. */
export interface HealthCheck {
  name: string;
  critical: boolean;
  /**
   * How long an answer may be reused. Load balancers poll /health often; a check that touches a disk or
   * a remote store is run at most this often, a database round trip every time.
   */
  cacheMs?: number;
  run(): Promise<{ status: CheckStatus } & Record<string, unknown>>;
}

// A string enum, not a union of literals: fast-json-stringify cannot tell the branches of an `anyOf`
// apart by type and would validate each value against them on every answer.
const Status = StringEnum(['ok', 'degraded', 'down'] as const);

const HealthBody = Type.Object({
  status: Status,
  version: Type.String(),
  uptime_seconds: Type.Number(),
  checks: Type.Record(
    Type.String(),
    Type.Object(
      { status: Status },
      { additionalProperties: true },
    ),
  ),
});

const CHECK_TIMEOUT_MS = 2000;

async function runCheck(check: HealthCheck): Promise<{ status: CheckStatus } & Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check.run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    return { status: 'down', error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

type CheckResult = { status: CheckStatus } & Record<string, unknown>;

/**
 * Runs a check, reusing a recent answer within its `cacheMs`. An uncached check (the database) still
 * runs once per request, except that requests arriving while it runs share that run's answer: under a
 * load balancer's or a benchmark's polling, the database answers one ping at a time, not a queue of them.
 */
function cachedRunner(check: HealthCheck): () => Promise<CheckResult> {
  const ttl = check.cacheMs ?? 0;
  if (ttl <= 0) {
    let inFlight: Promise<CheckResult> | undefined;
    return () =>
      (inFlight ??= runCheck(check).finally(() => {
        inFlight = undefined;
      }));
  }
  let last: { at: number; result: Promise<CheckResult> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > ttl) last = { at: now, result: runCheck(check) };
    return last.result;
  };
}

export function healthRoutes(options: {
  version: string;
  startedAt: number;
  checks: HealthCheck[];
}): FastifyPluginAsyncTypebox {
  const runners = options.checks.map((check) => ({ check, run: cachedRunner(check) }));
  return async (app) => {
    app.get(
      '/health',
      {
        config: { permission: 'public' },
        schema: {
          tags: ['meta'],
          summary: 'Health of the control plane and what it depends on',
          description:
            '200 when ok or degraded, 503 when a critical dependency (the database) is down. Never cached.',
          security: [],
          response: { 200: HealthBody, 503: HealthBody },
        },
      },
      async (_request, reply) => {
        const results = await Promise.all(
          runners.map(async ({ check, run }) => [check, await run()] as const),
        );
        const checks = Object.fromEntries(results.map(([c, r]) => [c.name, r]));
        const down = results.some(([c, r]) => c.critical && r.status === 'down');
        const degraded = results.some(([, r]) => r.status !== 'ok');
        const status: CheckStatus = down ? 'down' : degraded ? 'degraded' : 'ok';
        void reply
          .header('cache-control', 'no-store')
          .header('access-control-allow-origin', '*')
          .status(down ? 503 : 200);
        return {
          status,
          version: options.version,
          uptime_seconds: Math.round((Date.now() - options.startedAt) / 1000),
          checks,
        };
      },
    );
  };
}
