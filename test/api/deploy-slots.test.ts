// A burst of creates is deployed a few at a time (four per replica): the rest wait their turn instead of
// taking turns with every request on the event loop. The runtime is the real local driver, whose deploys
// this test holds back to see how many run at once.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeDriver, ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import { createLocalDriver } from '@minefleet/runtime-local/create-local-driver';
import { loadConfig } from '@minefleet/server/config';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';

describe('deploys of a burst of creates', () => {
  let cp: RunningControlPlane;
  let runtimeDir: string;
  let inFlight = 0;
  let most = 0;
  let held = true;
  const waiting: (() => void)[] = [];

  beforeAll(async () => {
    runtimeDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-deploy-slots-'));
    const config = await loadConfig({ MINEFLEET_DATA_DIR: runtimeDir });
    const local = createLocalDriver({ dataDir: runtimeDir, ...config.runtime });
    const runtime = new Proxy(local, {
      get(target, property, receiver) {
        if (property === 'deploy')
          return async (spec: ServerSpec, signal?: AbortSignal) => {
            inFlight += 1;
            most = Math.max(most, inFlight);
            try {
              if (held) await new Promise<void>((resolve) => waiting.push(resolve));
              return await target.deploy(spec, signal);
            } finally {
              inFlight -= 1;
            }
          };
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as RuntimeDriver;
    cp = await startControlPlane('pglite', { runtime });
  });
  afterAll(async () => {
    held = false;
    waiting.splice(0).forEach((resolve) => resolve());
    await cp?.close();
    await rm(runtimeDir, { recursive: true, force: true });
  });

  it('runs four at a time; the rest wait their turn and all end deployed', async () => {
    const tenant = await cp.api.signup('deploys');
    await cp.db.database.system((tx) =>
      tx.execute(sql`update tenants set max_servers = 20 where id = ${tenant.tenantId}`),
    );
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        cp.api.post(
          '/servers',
          { sku_id: 'starter', minecraft_version: '1.20.2', name: `d-${i}` },
          tenant.token,
        ),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    const deadline = Date.now() + 10_000;
    while (inFlight < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Held for a while: no fifth deploy starts while four are running.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(inFlight).toBe(4);
    expect(most).toBe(4);
    const list = await cp.api.get('/servers?per_page=20', tenant.token);
    expect(list.body.servers.every((s: { status: string }) => s.status === 'deploying')).toBe(true);
    held = false;
    waiting.splice(0).forEach((resolve) => resolve());
    await cp.api.waitForBody(
      '/servers?per_page=20',
      tenant.token,
      (body) =>
        body.servers.length === 10 && body.servers.every((s: { status: string }) => s.status === 'stopped'),
    );
    expect(most).toBe(4);
  });
});
