import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { loadConfig } from '../../apps/server/src/config.js';
import { createFilesPlatform } from '../../apps/server/src/files-platform.js';

/**
 * The files platform's housekeeping as the control plane wires it: it finds the servers in the
 * database and their folders on this host, and its start-up pass removes a save's leftover temporary
 * file and (with the clock 8 days on) a file deleted through the API. The interval comes from the
 * configuration.
 */
describe('files housekeeping in the files platform', () => {
  let cp: RunningControlPlane;
  let token: string;
  let serverId: string;
  let folder: string;

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend());
    token = (await cp.api.signup('housekeeping')).token;
    const res = await cp.api.post(
      '/servers',
      { name: 'kept', sku_id: 'starter', minecraft_version: '1.20.2' },
      token,
    );
    expect(res.status).toBe(202);
    serverId = res.body.id;
    await cp.api.waitForStatus(serverId, token, 'stopped');
    folder = path.join(cp.dataDir, 'servers', serverId);
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('purges expired trash and sweeps leftovers of the servers this host keeps', async () => {
    await writeFile(path.join(folder, 'old-map.dat'), 'old');
    const deleted = await cp.api.request('DELETE', `/api/v1/servers/${serverId}/files?path=old-map.dat`, {
      token,
    });
    expect(deleted.status).toBe(200);
    const trashItem = path.join(folder, '.minefleet', 'files', 'trash', deleted.body.id as string);
    expect(existsSync(trashItem)).toBe(true);
    const tmp = path.join(folder, '.minefleet', 'files', 'tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(path.join(tmp, 'killed-save.tmp'), 'half a file');

    const logged: string[] = [];
    const platform = createFilesPlatform({
      database: cp.db.database,
      runtime: cp.controlPlane.runtime,
      // Neither is reached by the housekeeping.
      accounts: undefined as never,
      config: undefined as never,
      housekeepingIntervalMinutes: 0,
      logger: { info: (_f, message) => logged.push(message), warn: (_f, message) => logged.push(message) },
      now: () => Date.now() + 8 * 24 * 3600_000,
    });
    platform.start();
    await platform.stop();

    expect(existsSync(trashItem)).toBe(false);
    expect(existsSync(path.join(tmp, 'killed-save.tmp'))).toBe(false);
    expect(logged).toEqual([
      'removed work files interrupted saves and uploads left behind',
      'purged expired trash items',
    ]);
  });

  it('reads the interval from MINEFLEET_FILES_HOUSEKEEPING_INTERVAL_MINUTES', async () => {
    const env = { MINEFLEET_DATA_DIR: cp.dataDir, MINEFLEET_PLUGIN_SOURCES: 'local' };
    expect((await loadConfig(env)).files?.housekeepingIntervalMinutes).toBe(60);
    const set = await loadConfig({ ...env, MINEFLEET_FILES_HOUSEKEEPING_INTERVAL_MINUTES: '5' });
    expect(set.files?.housekeepingIntervalMinutes).toBe(5);
    await expect(
      loadConfig({ ...env, MINEFLEET_FILES_HOUSEKEEPING_INTERVAL_MINUTES: '99999' }),
    ).rejects.toThrow(/MINEFLEET_FILES_HOUSEKEEPING_INTERVAL_MINUTES/);
  });
});
