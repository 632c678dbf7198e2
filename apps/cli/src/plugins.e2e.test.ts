import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';
import { assertCliBuilt, cliEnv, runCli, type CliRun } from '@minefleet/testkit/cli';

/**
 * `minefleet plugins …` through the built executable against a real control plane (the shipped
 * catalogue, a real flying-squid server folder): search, info, install with its dependency, ls,
 * disable/enable, upgrade, the removal rule, rm with dependencies; exit codes and JSON output.
 * Run `npx tsc -b` first: the CLI runs from dist/.
 */
const SERVER = 'plugins-cli';

describe('minefleet plugins', () => {
  let cp: RunningControlPlane;
  let configDir: string;
  let env: NodeJS.ProcessEnv;
  let serverId: string;

  const cli = (args: readonly string[]): Promise<CliRun> => runCli(args, { env });
  const json = async <T = any>(args: readonly string[]): Promise<T> => {
    const run = await cli([...args, '--format', 'json']);
    expect(run.stderr.includes('error:')).toBe(false);
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as T;
  };
  const pluginsDir = () => cp.controlPlane.runtime.workspace(serverId).pluginsDir;

  beforeAll(async () => {
    assertCliBuilt();
    cp = await startControlPlane(primaryBackend());
    const user = await cp.api.signup('plugins-cli');
    configDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-plugins-'));
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

  it('searches the catalogue as a table and as JSON, also for a server', async () => {
    const table = await cli(['plugins', 'search', 'hello']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+LATEST/);
    expect(table.stdout).toContain('local:hello');
    const forServer = await json<{ plugins: { id: string }[] }>([
      'plugins',
      'search',
      '--for',
      SERVER,
      '--category',
      'chat',
    ]);
    expect(forServer.plugins.map((p) => p.id).sort()).toEqual([
      'local:announcer',
      'local:hello',
      'local:join-message',
    ]);
    expect((await json(['plugins', 'search', '-d', 'paper'])).plugins).toEqual([]);
    const help = await cli(['plugins', 'install', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--format');
  });

  it('shows a plugin with its versions and dependencies (by slug)', async () => {
    const info = await cli(['plugins', 'info', 'hello']);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('Hello (local:hello)');
    expect(info.stdout).toContain('local:mf-core ^1.0.0');
    expect(info.stdout).toContain('approved');
  });

  it('plans, then installs a plugin with its dependency and waits until it is installed', async () => {
    const plan = await json<{ resolved: { plugin_id: string }[]; installation: null }>([
      'plugins',
      'install',
      SERVER,
      'hello',
      '--dry-run',
    ]);
    expect(plan.resolved.map((r) => r.plugin_id)).toEqual(['local:mf-core', 'local:hello']);
    expect(plan.installation).toBeNull();
    expect(existsSync(path.join(pluginsDir(), 'hello.js'))).toBe(false);

    const install = await cli([
      'plugins',
      'install',
      SERVER,
      'local:hello@1.0.0',
      '-c',
      'greeting=Hi {player}',
    ]);
    expect(install.code).toBe(0);
    expect(install.stderr).toContain('local:mf-core 1.0.0');
    expect(install.stderr).toContain('dependency of local:hello');
    expect(install.stdout).toContain('Installed local:hello 1.0.0');
    expect(install.stdout).toContain('minefleet servers restart plugins-cli');
    expect(existsSync(path.join(pluginsDir(), 'hello.js'))).toBe(true);

    const list = await json<{ plugin_id: string; status: string; config_overrides: object }[]>([
      'plugins',
      'ls',
      SERVER,
    ]);
    expect(list.map((i) => [i.plugin_id, i.status]).sort()).toEqual([
      ['local:hello', 'installed'],
      ['local:mf-core', 'installed'],
    ]);
    expect(list.find((i) => i.plugin_id === 'local:hello')!.config_overrides).toEqual({
      greeting: 'Hi {player}',
    });
    const table = await cli(['plugins', 'ls', SERVER]);
    expect(table.stdout).toMatch(/local:mf-core\s+1\.0\.0\s+installed\s+local:hello/);
  });

  it('refuses to remove a dependency first (exit 1 with the code); disables and enables', async () => {
    const refused = await cli(['plugins', 'rm', SERVER, 'mf-core']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('PLUGIN_HAS_DEPENDENTS');

    const off = await cli(['plugins', 'disable', SERVER, 'hello']);
    expect(off.code).toBe(0);
    expect(off.stdout).toContain('local:hello disabled on plugins-cli');
    expect(existsSync(path.join(pluginsDir(), 'hello.js.disabled'))).toBe(true);
    expect((await cli(['plugins', 'enable', SERVER, 'hello'])).code).toBe(0);
    expect(existsSync(path.join(pluginsDir(), 'hello.js'))).toBe(true);

    const upgrade = await cli(['plugins', 'upgrade', SERVER, 'hello']);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toContain('already the version that fits');
  });

  it('removes the plugin with the dependencies nothing else needs', async () => {
    const removed = await json<{ removed: { plugin_id: string }[] }>([
      'plugins',
      'rm',
      SERVER,
      'hello',
      '--with-dependencies',
    ]);
    expect(removed.removed.map((r) => r.plugin_id).sort()).toEqual(['local:hello', 'local:mf-core']);
    expect((await cli(['plugins', 'ls', SERVER])).stdout).toBe('plugins-cli has no plugins.\n');
  });

  it('reports API errors and usage errors with their exit codes', async () => {
    const unknown = await cli(['plugins', 'install', SERVER, 'local:nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('PLUGIN_NOT_FOUND');
    const approve = await cli(['plugins', 'approve', 'local:hello', '1.0.0']);
    expect(approve.code).toBe(1);
    expect(approve.stderr).toContain('FORBIDDEN');
    const missing = await cli(['plugins', 'install', SERVER]);
    expect(missing.code).toBe(2);
    const missingPlugin = await cli(['plugins', 'rm', SERVER, 'spawn']);
    expect(missingPlugin.code).toBe(1);
    expect(missingPlugin.stderr).toContain('INSTALLATION_NOT_FOUND');
  });
});
