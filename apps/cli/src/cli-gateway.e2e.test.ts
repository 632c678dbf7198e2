import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';
import { assertCliBuilt, cliEnv, runCli, type CliRun } from '@minefleet/testkit/cli';
import type { SignedUp } from '@minefleet/testkit/api';

/**
 * `minefleet gateway` through the built executable against a real control plane: show, set (sleep,
 * hostnames, who may wake), the error of a hostname another server holds, and the wake history.
 * Run `npx tsc -b` first: the CLI runs from dist/.
 */
describe('minefleet gateway', () => {
  let cp: RunningControlPlane;
  let user: SignedUp;
  let work: string;
  let env: NodeJS.ProcessEnv;

  const cli = (args: readonly string[]): Promise<CliRun> =>
    runCli(args, { env, cwd: work, timeoutMs: 60_000 });
  const json = async (args: readonly string[]) => {
    const run = await cli([...args, '--format', 'json']);
    expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(0);
    return JSON.parse(run.stdout) as Record<string, any>;
  };

  beforeAll(async () => {
    assertCliBuilt();
    cp = await startControlPlane(primaryBackend(), { env: { MINEFLEET_GAME_DOMAIN: 'play.test' } });
    user = await cp.api.signup('cli-gateway');
    work = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-gateway-'));
    env = cliEnv(work, { MINEFLEET_URL: cp.url, MINEFLEET_TOKEN: user.token });
    for (const name of ['hub', 'other']) {
      const created = await cp.api.post(
        '/servers',
        { name, sku_id: 'starter', minecraft_version: '1.20.2' },
        user.token,
      );
      await cp.api.waitForStatus(created.body.id, user.token, 'stopped');
    }
  });
  afterAll(async () => {
    await cp?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('shows and changes sleep settings, hostnames and wakers', async () => {
    const shown = await cli(['gateway', 'show', 'hub']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/Hostname:\s+hub\.[a-z0-9-]+\.play\.test/);
    expect(shown.stdout).toMatch(/Sleep:\s+off/);

    const set = await json([
      'gateway',
      'set',
      'hub',
      '--sleep',
      'on',
      '--idle-after',
      '300',
      '--mode',
      'freeze',
      '--hostname',
      'MC.Example.org',
      '--hostname',
      '*.example.net',
      '--waker',
      'Alex',
    ]);
    expect(set).toMatchObject({
      sleep_enabled: true,
      idle_after_seconds: 300,
      sleep_mode: 'freeze',
      hostnames: ['*.example.net', 'mc.example.org'],
      wakers: ['Alex'],
    });

    const taken = await cli(['gateway', 'set', 'other', '--hostname', 'mc.example.org']);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain('HOSTNAME_TAKEN');

    const cleared = await json(['gateway', 'set', 'hub', '--no-hostnames', '--anyone-wakes']);
    expect(cleared).toMatchObject({ hostnames: [], wakers: [] });

    const nothing = await cli(['gateway', 'set', 'hub']);
    expect(nothing.code).not.toBe(0);

    const wakes = await cli(['gateway', 'wakes', 'hub']);
    expect(wakes.code, wakes.stderr).toBe(0);
    expect(wakes.stdout).toContain('No wakes yet.');

    const refused = await cli(['gateway', 'wake', 'hub']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('INVALID_TRANSITION');
  });
});
