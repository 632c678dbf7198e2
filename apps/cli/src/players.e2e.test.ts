import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';
import { assertCliBuilt, cliEnv, runCli, type CliRun } from '@minefleet/testkit/cli';

/**
 * `minefleet players …` through the built executable against a real control plane, on a stopped
 * flying-squid server (the changes land in its list files): whitelist on/add/rm, op with a level, timed
 * ban, IP ban, pardon, the lists view as a table and as JSON, exit codes of refused input.
 * Run `npx tsc -b` first: the CLI runs from dist/.
 */
const SERVER = 'players-cli';

describe('minefleet players', () => {
  let cp: RunningControlPlane;
  let configDir: string;
  let env: NodeJS.ProcessEnv;
  let serverId: string;

  const cli = (args: readonly string[]): Promise<CliRun> => runCli(args, { env });
  const ok = async (args: readonly string[]) => {
    const run = await cli(args);
    expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
    return run.stdout;
  };
  const list = async (file: string) =>
    JSON.parse(await readFile(path.join(cp.controlPlane.runtime.workspace(serverId).root, file), 'utf8')) as {
      name?: string;
      ip?: string;
      level?: number;
    }[];

  beforeAll(async () => {
    assertCliBuilt();
    cp = await startControlPlane(primaryBackend());
    const user = await cp.api.signup('players-cli');
    configDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-players-'));
    env = cliEnv(configDir, { MINEFLEET_URL: cp.url, MINEFLEET_TOKEN: user.token });
    const created = await cp.api.post(
      '/servers',
      { name: SERVER, sku_id: 'starter', minecraft_version: '1.20.2' },
      user.token,
    );
    serverId = created.body.id;
    await cp.api.waitForStatus(serverId, user.token, 'stopped');
  });
  afterAll(async () => {
    await cp?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('manages the whitelist and operators of a stopped server', async () => {
    expect(await ok(['players', 'whitelist', 'on', SERVER])).toMatch(
      /Whitelist on on players-cli \(revision \d+; applies at the next start\)/,
    );
    expect(await ok(['players', 'whitelist', 'add', SERVER, 'Steve'])).toBe(
      'Whitelisted Steve on players-cli: saved; in force when the server starts.\n',
    );
    await ok(['players', 'whitelist', 'add', SERVER, 'Alex']);
    await ok(['players', 'whitelist', 'rm', SERVER, 'Alex']);
    expect((await list('whitelist.json')).map((e) => e.name)).toEqual(['Steve']);
    await ok(['players', 'op', SERVER, 'Steve', '--level', '3']);
    expect(await list('ops.json')).toEqual([expect.objectContaining({ name: 'Steve', level: 3 })]);
  });

  it('bans for a while and by address, shows the lists, pardons', async () => {
    await ok(['players', 'ban', SERVER, 'Griefer', '--reason', 'Broke the spawn', '--for', '7d']);
    await ok(['players', 'ban-ip', SERVER, '203.0.113.7', '--reason', 'Bots']);
    const table = await ok(['players', 'lists', SERVER]);
    expect(table).toContain('Whitelist (on): Steve');
    expect(table).toContain('Operators: Steve (level 3)');
    expect(table).toMatch(/Griefer\s+Broke the spawn\s+\d{4}-\d{2}-\d{2}T/);
    expect(table).toMatch(/203\.0\.113\.7\s+Bots\s+forever\s+yes/);
    const json = JSON.parse(await ok(['players', 'lists', SERVER, '--format', 'json'])) as {
      bans: { name: string; active: boolean; expires_at: string }[];
    };
    const end = Date.parse(json.bans[0]!.expires_at);
    expect(end - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    await ok(['players', 'pardon', SERVER, 'Griefer']);
    await ok(['players', 'pardon-ip', SERVER, '203.0.113.7']);
    expect(await list('banned-players.json')).toEqual([]);
    expect(await list('banned-ips.json')).toEqual([]);
    expect(await ok(['players', 'ls', SERVER])).toBe('Nobody is online.\n');
  });

  it('refuses bad input: usage errors exit 2, API refusals exit 1 with the code', async () => {
    const level = await cli(['players', 'op', SERVER, 'Steve', '--level', '7']);
    expect(level.code).toBe(2);
    const both = await cli(['players', 'ban', SERVER, 'X', '--for', '1d', '--until', '2099-01-01T00:00:00Z']);
    expect(both.code).toBe(2);
    const kick = await cli(['players', 'kick', SERVER, 'Steve']);
    expect(kick.code).toBe(1);
    expect(kick.stderr).toContain('SERVER_NOT_RUNNING');
    const missing = await cli(['players', 'pardon', SERVER, 'Nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('PLAYER_NOT_FOUND');
  });
});
