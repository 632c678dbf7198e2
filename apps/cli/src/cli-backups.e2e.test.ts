import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';
import { assertCliBuilt, cliEnv, runCli, type CliRun } from '@minefleet/testkit/cli';
import type { SignedUp } from '@minefleet/testkit/api';

/**
 * `minefleet backups …` and `minefleet schedules …` through the built executable (child processes, a
 * temporary config folder, the credential in MINEFLEET_TOKEN) against a real control plane and a real
 * (stopped) flying-squid server. Run `npx tsc -b` first: the CLI runs from dist/.
 */

describe('the minefleet CLI manages backups and schedules', () => {
  let cp: RunningControlPlane;
  let user: SignedUp;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let serverId: string;

  const cli = (args: readonly string[], input = ''): Promise<CliRun> =>
    runCli(args, { env, input, cwd: work, timeoutMs: 60_000 });
  const json = async (args: readonly string[]) => {
    const run = await cli([...args, '--format', 'json']);
    expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(0);
    return JSON.parse(run.stdout) as Record<string, any>;
  };

  beforeAll(async () => {
    assertCliBuilt();
    cp = await startControlPlane(primaryBackend());
    user = await cp.api.signup('cli-backups');
    work = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-backups-'));
    env = cliEnv(work, { MINEFLEET_URL: cp.url, MINEFLEET_TOKEN: user.token });
    const created = await cp.api.post(
      '/servers',
      { name: 'cli-backed', sku_id: 'starter', minecraft_version: '1.20.2' },
      user.token,
    );
    serverId = created.body.id;
    await cp.api.waitForStatus(serverId, user.token, 'stopped');
  });
  afterAll(async () => {
    await cp?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('creates, lists, shows, downloads, locks, restores and removes a backup', async () => {
    const marker = path.join(cp.dataDir, 'servers', serverId, 'marker.txt');
    await writeFile(marker, 'in the backup');
    const created = await json(['backups', 'create', 'cli-backed', '--name', 'first', '--tag', 'cli']);
    expect(created).toMatchObject({ name: 'first', status: 'completed', tags: ['cli'], compression: 'zstd' });

    const table = await cli(['backups', 'ls', 'cli-backed']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/NAME\s+SERVER\s+STATUS/);
    expect(table.stdout).toMatch(/first\s+cli-backed\s+completed\s+manual/);
    expect(table.stderr).toMatch(/Backup storage: .* of 20 GB/);
    const all = (await json(['backups', 'ls'])) as unknown as { id: string }[];
    expect(all.map((b) => b.id)).toEqual([created.id]);
    expect((await json(['backups', 'get', 'first', '--server', 'cli-backed'])).id).toBe(created.id);

    const download = await cli(['backups', 'download', 'first', '-O', 'first.tar.zst']);
    expect(download.code, download.stderr).toBe(0);
    expect(download.stdout).toMatch(/SHA-256 verified/);
    const bytes = await readFile(path.join(work, 'first.tar.zst'));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(created.sha256);

    expect((await json(['backups', 'lock', 'first'])).locked).toBe(true);
    const refused = await cli(['backups', 'rm', 'first', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/BACKUP_LOCKED/);
    const withoutYes = await cli(['backups', 'rm', 'first']);
    expect(withoutYes.code).toBe(2);
    expect((await json(['backups', 'unlock', created.id])).locked).toBe(false);

    await writeFile(marker, 'changed since');
    const restored = await cli(['backups', 'restore', 'first', '--server', 'cli-backed']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/Restored first into cli-backed \(stopped\)/);
    expect(await readFile(marker, 'utf8')).toBe('in the backup');
    const pre = (await json(['backups', 'ls', 'cli-backed', '--tag', 'pre-restore'])) as unknown as {
      type: string;
    }[];
    expect(pre.map((b) => b.type)).toEqual(['pre_restore']);

    const removed = await cli(['backups', 'rm', 'first', '--server', 'cli-backed', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    const missing = await cli(['backups', 'get', 'first']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/BACKUP_NOT_FOUND/);
  });

  it('creates, lists, changes, shows the runs of and removes a schedule', async () => {
    const created = await json([
      'schedules',
      'create',
      'cli-backed',
      '--name',
      'nightly',
      '--cron',
      '0 4 * * *',
      '--action',
      'backup',
      '--retain-days',
      '3',
      '--timezone',
      'Europe/Paris',
    ]);
    expect(created).toMatchObject({
      name: 'nightly',
      action: 'backup',
      payload: { retain_days: 3 },
      enabled: true,
    });
    expect(Date.parse(created.next_run_at)).toBeGreaterThan(Date.now());

    const table = await cli(['schedules', 'ls', 'cli-backed']);
    expect(table.stdout).toMatch(/nightly\s+backup \{"retain_days":3\}\s+0 4 \* \* \*\s+Europe\/Paris\s+yes/);
    const off = await json(['schedules', 'set', 'cli-backed', 'nightly', '--disable']);
    expect(off).toMatchObject({ enabled: false, next_run_at: null });
    const wrongOption = await cli(['schedules', 'set', 'cli-backed', 'nightly', '--command', 'say hi']);
    expect(wrongOption.code).toBe(2);
    const runs = await cli(['schedules', 'runs', 'cli-backed', 'nightly']);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toBe('No runs yet.\n');
    expect((await cli(['schedules', 'rm', 'cli-backed', 'nightly'])).code).toBe(0);
    expect((await json(['schedules', 'ls', 'cli-backed'])) as unknown).toEqual([]);

    const bad = await cli(['schedules', 'create', 'cli-backed', '--cron', 'every day', '--action', 'backup']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_CRON/);
  });
});
