import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

const VERSION = '1.20.2';

/**
 * Contract of the schedule routes on every database backend, and schedules firing for real: a
 * per-second backup schedule makes `scheduled` backups and records its runs; a disabled one stops.
 * (Command schedules against a running game are in test/e2e/backups.test.ts.)
 */
describe.each(testBackends())('schedules API on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let owner: SignedUp;
  let other: SignedUp;
  let viewer: string;
  let serverId: string;

  beforeAll(async () => {
    cp = await startControlPlane(backend, {
      env: { MINEFLEET_SCHEDULE_MIN_INTERVAL_SECONDS: '1', MINEFLEET_SCHEDULER_TICK_MS: '100' },
    });
    api = cp.api;
    owner = await api.signup('sched-owner');
    other = await api.signup('sched-other');
    const v = await api.signup('sched-viewer');
    await api.post('/members', { email: v.email, role: 'viewer' }, owner.token);
    viewer = (
      await api.post('/auth/login', { email: v.email, password: v.password, tenant_id: owner.tenantId })
    ).body.token;
    const created = await api.post(
      '/servers',
      { name: 'scheduled', sku_id: 'starter', minecraft_version: VERSION },
      owner.token,
    );
    serverId = created.body.id;
    await api.waitForStatus(serverId, owner.token, 'stopped');
  });
  afterAll(async () => {
    await cp?.close();
  });

  const path = (suffix = '') => `/servers/${serverId}/schedules${suffix}`;

  it('creates a schedule with its next planned run (201), in its time zone', async () => {
    const before = Date.now();
    const res = await api.post(
      path(),
      {
        name: 'nightly',
        cron: '0 4 * * *',
        action: 'backup',
        payload: { retain_days: 7 },
        timezone: 'Europe/Paris',
      },
      owner.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      server_id: serverId,
      name: 'nightly',
      cron: '0 4 * * *',
      timezone: 'Europe/Paris',
      action: 'backup',
      payload: { retain_days: 7 },
      enabled: true,
      last_run_at: null,
      last_status: null,
    });
    const next = new Date(res.body.next_run_at);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime() - before).toBeLessThanOrEqual(86_400_000);
    const paris = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      hour: '2-digit',
      minute: '2-digit',
    });
    expect(paris.format(next)).toBe('04:00');
  });

  it.each([
    [{ cron: 'every day', action: 'backup' }, 'INVALID_CRON'],
    [{ cron: '61 * * * *', action: 'backup' }, 'INVALID_CRON'],
    [{ cron: '* * * *', action: 'backup' }, 'INVALID_CRON'],
    [{ cron: '*/1 * * * * *', action: 'backup', payload: { retain_days: 0 } }, 'VALIDATION_FAILED'],
    [{ cron: '0 4 * * *', action: 'backup', timezone: 'Mars/Olympus' }, 'VALIDATION_FAILED'],
    [{ cron: '0 4 * * *', action: 'command' }, 'VALIDATION_FAILED'],
    [{ cron: '0 4 * * *', action: 'command', payload: { command: 'say a\nstop' } }, 'VALIDATION_FAILED'],
    [{ cron: '0 4 * * *', action: 'backup', payload: { compresion: 'gzip' } }, 'VALIDATION_FAILED'],
    [{ cron: '0 4 * * *', action: 'explode' }, 'VALIDATION_FAILED'],
  ])('refuses %j with 400 %s', async (body, code) => {
    const res = await api.post(path(), body, owner.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it('lists, gets, changes (disable clears next_run_at), deletes; roles and tenants', async () => {
    const created = (
      await api.post(
        path(),
        { cron: '*/5 * * * *', action: 'command', payload: { command: 'say hi' } },
        owner.token,
      )
    ).body;
    const list = await api.get(path('?per_page=100'), viewer);
    expect(list.status).toBe(200);
    expect(list.body.schedules.map((s: { id: string }) => s.id)).toContain(created.id);
    expect(list.body.pagination.total).toBe(list.body.schedules.length);
    expect((await api.get(path(`/${created.id}`), viewer)).body.id).toBe(created.id);

    const disabled = await api.patch(path(`/${created.id}`), { enabled: false }, owner.token);
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ enabled: false, next_run_at: null });
    const enabled = await api.patch(
      path(`/${created.id}`),
      { enabled: true, cron: '0 0 1 1 *' },
      owner.token,
    );
    expect(new Date(enabled.body.next_run_at).getUTCMonth()).toBe(0);
    const renamed = await api.patch(
      path(`/${created.id}`),
      { name: null, payload: { command: 'say bye' } },
      owner.token,
    );
    expect(renamed.body).toMatchObject({ name: null, payload: { command: 'say bye' } });
    expect(renamed.body.next_run_at).toBe(enabled.body.next_run_at);
    const badCron = await api.patch(path(`/${created.id}`), { cron: 'nope' }, owner.token);
    expect(badCron.body.error.code).toBe('INVALID_CRON');

    expect((await api.post(path(), { cron: '0 4 * * *', action: 'backup' }, viewer)).status).toBe(403);
    expect((await api.patch(path(`/${created.id}`), { enabled: false }, viewer)).status).toBe(403);
    expect((await api.get(path(), other.token)).body.error.code).toBe('SERVER_NOT_FOUND');
    expect((await api.get(`/servers/${serverId}/schedules/nope`, owner.token)).body.error.code).toBe(
      'INVALID_ID',
    );

    expect((await api.delete(path(`/${created.id}`), owner.token)).status).toBe(204);
    const gone = await api.get(path(`/${created.id}`), owner.token);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('SCHEDULE_NOT_FOUND');
    expect((await api.get(path(`/${created.id}/runs`), owner.token)).status).toBe(404);
  });

  it('a per-second backup schedule fires, makes scheduled backups and records its runs; disabled, it stops', async () => {
    const created = (
      await api.post(
        path(),
        { cron: '*/2 * * * * *', action: 'backup', payload: { tags: ['auto'], compression: 'gzip' } },
        owner.token,
      )
    ).body;
    const deadline = Date.now() + 20_000;
    let runs: { status: string; scheduled_for: string }[] = [];
    while (Date.now() < deadline) {
      runs = (await api.get(path(`/${created.id}/runs`), viewer)).body.runs;
      if (runs.filter((r) => r.status === 'succeeded').length >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(runs.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(2);
    // One run per planned time, each on an even second.
    const times = runs.map((r) => r.scheduled_for);
    expect(new Set(times).size).toBe(times.length);
    for (const t of times) expect(new Date(t).getUTCSeconds() % 2).toBe(0);
    const backups = (await api.get(`/servers/${serverId}/backups?tag=auto&per_page=100`, viewer)).body
      .backups;
    expect(backups.length).toBeGreaterThanOrEqual(2);
    expect(backups[0]).toMatchObject({ type: 'scheduled', compression: 'gzip', tags: ['auto'] });
    const schedule = (await api.get(path(`/${created.id}`), viewer)).body;
    expect(schedule.last_run_at).not.toBeNull();

    await api.patch(path(`/${created.id}`), { enabled: false }, owner.token);
    await new Promise((r) => setTimeout(r, 500)); // a run already claimed may still finish
    const settled = (await api.get(path(`/${created.id}/runs?per_page=100`), viewer)).body.pagination.total;
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await api.get(path(`/${created.id}/runs?per_page=100`), viewer)).body.pagination.total).toBe(
      settled,
    );
  });
});
