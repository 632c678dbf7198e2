import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { loadGatewayProcessConfig } from './gateway-process.js';

/**
 * The gateway as its own process needs what replicas share (PostgreSQL, NATS) and refuses to start
 * without them; replicas beside it run with MINEFLEET_GATEWAY=external.
 */
describe('the standalone gateway configuration', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-gateway-config-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));
  const shared = { DATABASE_URL: 'postgres://db/minefleet', NATS_URL: 'nats://nats:4222' };

  it('refuses to start on the embedded database or the in-process event bus', async () => {
    const base = { MINEFLEET_DATA_DIR: dataDir };
    await expect(loadGatewayProcessConfig({ ...base, NATS_URL: shared.NATS_URL })).rejects.toThrow(
      new ConfigError(
        'DATABASE_URL (PostgreSQL) is required: the gateway reads the routes the control plane writes, and the embedded database cannot be shared between processes.',
      ),
    );
    await expect(loadGatewayProcessConfig({ ...base, DATABASE_URL: shared.DATABASE_URL })).rejects.toThrow(
      /^NATS_URL is required/,
    );
  });

  it('always runs the front door, with /health and /metrics on loopback by default', async () => {
    const config = await loadGatewayProcessConfig({
      MINEFLEET_DATA_DIR: dataDir,
      ...shared,
      MINEFLEET_GATEWAY: 'external',
    });
    expect(config.gateway).toMatchObject({ enabled: true, external: false, port: 25565 });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(config.portRange).toEqual({ from: 25566, to: 25665 });
    const moved = await loadGatewayProcessConfig({
      MINEFLEET_DATA_DIR: dataDir,
      ...shared,
      MINEFLEET_GATEWAY_ADMIN_HOST: '0.0.0.0',
      MINEFLEET_GATEWAY_ADMIN_PORT: '9101',
    });
    expect(moved.admin).toEqual({ host: '0.0.0.0', port: 9101 });
    await expect(
      loadGatewayProcessConfig({ MINEFLEET_DATA_DIR: dataDir, ...shared, MINEFLEET_GATEWAY_ADMIN_PORT: 'x' }),
    ).rejects.toThrow(/MINEFLEET_GATEWAY_ADMIN_PORT must be a whole number/);
  });

  it('lets a control plane leave the port to the gateway process but keep the idle checks', async () => {
    const external = await loadConfig({ MINEFLEET_DATA_DIR: dataDir, MINEFLEET_GATEWAY: 'external' });
    expect(external.gateway).toMatchObject({ enabled: false, external: true });
    // The gateway process on this host takes 25565, so game ports start above it here too.
    expect(external.portRange).toEqual({ from: 25566, to: 25665 });
    const off = await loadConfig({ MINEFLEET_DATA_DIR: dataDir });
    expect(off.gateway).toMatchObject({ enabled: false, external: false });
    await expect(loadConfig({ MINEFLEET_DATA_DIR: dataDir, MINEFLEET_GATEWAY: 'sometimes' })).rejects.toThrow(
      new ConfigError('MINEFLEET_GATEWAY must be on, off or external (got "sometimes").'),
    );
  });
});
