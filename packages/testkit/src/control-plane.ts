import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { servers as serverTable } from '@minefleet/db/schema';
import { loadConfig } from '@minefleet/server/config';
import {
  createControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from '@minefleet/server/control-plane';
import { TestApi } from './api.js';
import { createTestDatabase, type Backend, type TestDatabase } from './databases.js';
import { freePortRange } from './ports.js';
import { Mailbox } from './mailbox.js';
import { endGameProcesses } from './processes.js';

export interface RunningControlPlane {
  controlPlane: ControlPlane;
  api: TestApi;
  url: string;
  dataDir: string;
  db: TestDatabase;
  /** The SMTP server the control plane mails to (unless the test set MINEFLEET_SMTP_URL itself). */
  mailbox: Mailbox | undefined;
  portRange: { from: number; to: number };
  /** The bearer token GET /metrics requires (generated into the data folder unless given). */
  metricsToken: string;
  close(): Promise<void>;
}

/**
 * A real control plane in this process, listening on a free port, over a fresh database of the given
 * backend, with the real local runtime driver in a temporary data folder.
 */
export async function startControlPlane(
  backend: Backend,
  options: { env?: Record<string, string>; ports?: number } & Pick<
    ControlPlaneOptions,
    'lifecycle' | 'runtime' | 'events' | 'backupStore'
  > = {},
): Promise<RunningControlPlane> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-test-'));
  const db = await createTestDatabase(backend);
  const portRange = await freePortRange(options.ports ?? 10);
  const mailbox = options.env?.MINEFLEET_SMTP_URL === undefined ? await Mailbox.start() : undefined;
  const config = await loadConfig({
    MINEFLEET_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.MINEFLEET_TEST_LOG_LEVEL ?? 'silent',
    MINEFLEET_PORT_RANGE: `${portRange.from}-${portRange.to}`,
    MINEFLEET_GAME_HOST: '127.0.0.1',
    MINEFLEET_GAME_BIND_HOST: '127.0.0.1',
    MINEFLEET_LOGIN_RATE_LIMIT: '1000',
    MINEFLEET_SIGNUP_RATE_LIMIT: '100000',
    // Tests look at /health right after breaking something; production reuses probes for a few seconds.
    MINEFLEET_HEALTH_CACHE_MS: '0',
    // Tests never reach Modrinth or Hangar; those clients are tested against local servers.
    MINEFLEET_PLUGIN_SOURCES: 'local',
    // Nor Mojang's account API: a closed port fails at once; tests that need it serve one locally.
    MINEFLEET_MOJANG_API_URL: 'http://127.0.0.1:9',
    // The control plane shares the test's process here: a full collection would pause the test too.
    MINEFLEET_IDLE_GC_SECONDS: '0',
    ...(mailbox ? { MINEFLEET_SMTP_URL: mailbox.url } : {}),
    ...options.env,
  });
  const controlPlane = await createControlPlane({
    config,
    database: db.database,
    ...(options.lifecycle ? { lifecycle: options.lifecycle } : {}),
    ...(options.runtime ? { runtime: options.runtime } : {}),
    ...(options.events ? { events: options.events } : {}),
    ...(options.backupStore ? { backupStore: options.backupStore } : {}),
  });
  const url = await controlPlane.listen();
  return {
    controlPlane,
    api: new TestApi(url, mailbox),
    mailbox,
    url,
    dataDir,
    db,
    portRange,
    metricsToken: config.live.metrics.token!,
    async close() {
      // Game servers outlive a control plane by design; a test must not leave any behind.
      const servers = await db.database.system((tx) => tx.select({ id: serverTable.id }).from(serverTable));
      await Promise.all(servers.map((s) => controlPlane.runtime.remove(s.id).catch(() => {})));
      await controlPlane.close();
      // A launch the start queue handed out while the servers were being removed may have spawned a
      // game after its remove: end whatever still runs in this data folder before deleting it.
      await endGameProcesses(dataDir);
      await mailbox?.close();
      await db.close().catch(() => {});
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
