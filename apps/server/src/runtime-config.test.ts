import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

/** The local runtime's settings are read with the rest of the configuration, and refused at start. */
describe('the local runtime configuration', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-runtime-config-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));
  const load = (env: Record<string, string>) => loadConfig({ MINEFLEET_DATA_DIR: dataDir, ...env });

  it('defaults to the strongest containment and limits the host allows, and a standard PATH', async () => {
    expect((await load({})).runtime).toEqual({
      isolation: 'auto',
      limits: 'auto',
      gameUidBase: 200_000,
      java: { javaPath: 'java', jarDir: undefined, acceptEula: false },
      hiddenPaths: [],
      inheritedEnv: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    });
  });

  it('reads every variable, and hands game processes PATH, locale and time zone but no secret', async () => {
    const { runtime } = await load({
      MINEFLEET_ISOLATION: 'off',
      MINEFLEET_LIMITS: 'OFF',
      MINEFLEET_GAME_UID_BASE: '300000',
      MINEFLEET_JAVA: '/opt/java/bin/java',
      MINEFLEET_JAR_DIR: 'jars',
      MINEFLEET_ACCEPT_EULA: 'true',
      MINEFLEET_BACKUP_DIR: '/srv/backups',
      PATH: '/opt/minefleet/bin:/usr/bin',
      TZ: 'Europe/Berlin',
      DATABASE_URL: 'postgres://minefleet:secret@db/minefleet',
      MINEFLEET_JWT_SECRET: 'x'.repeat(40),
    });
    expect(runtime).toEqual({
      isolation: 'off',
      limits: 'off',
      gameUidBase: 300_000,
      java: { javaPath: '/opt/java/bin/java', jarDir: path.resolve('jars'), acceptEula: true },
      hiddenPaths: ['/srv/backups'],
      inheritedEnv: { PATH: '/opt/minefleet/bin:/usr/bin', TZ: 'Europe/Berlin' },
    });
  });

  it('refuses a value it does not know, naming the variable and what it takes', async () => {
    await expect(load({ MINEFLEET_ISOLATION: 'strict' })).rejects.toThrow(
      new ConfigError('MINEFLEET_ISOLATION must be auto, require or off (got "strict").'),
    );
    await expect(load({ MINEFLEET_LIMITS: 'on' })).rejects.toThrow(
      'MINEFLEET_LIMITS must be auto or off (got "on").',
    );
    await expect(load({ MINEFLEET_GAME_UID_BASE: '500' })).rejects.toThrow(
      /^MINEFLEET_GAME_UID_BASE must be a whole number from 1000/,
    );
    await expect(load({ MINEFLEET_ACCEPT_EULA: 'yes' })).rejects.toThrow(
      'MINEFLEET_ACCEPT_EULA must be true or false (got "yes").',
    );
  });

  it('runs game servers locally unless MINEFLEET_RUNTIME names Kubernetes, whose settings it checks', async () => {
    const local = await load({});
    expect(local.runtimeKind).toBe('local');
    expect(local.kubernetes).toEqual({
      namespace: 'minefleet-servers',
      kubeconfig: undefined,
      platformNamespace: undefined,
      address: 'service',
      acceptEula: false,
      maintenanceLingerSeconds: 30,
    });
    const k8s = await load({
      MINEFLEET_RUNTIME: 'kubernetes',
      MINEFLEET_KUBECONFIG: '/etc/minefleet/kubeconfig',
      MINEFLEET_K8S_NAMESPACE: 'games',
      MINEFLEET_K8S_PLATFORM_NAMESPACE: 'minefleet',
      MINEFLEET_K8S_ADDRESS: 'pod-ip',
      MINEFLEET_K8S_MAINTENANCE_LINGER_SECONDS: '0',
      MINEFLEET_ACCEPT_EULA: 'true',
    });
    expect(k8s.runtimeKind).toBe('kubernetes');
    expect(k8s.kubernetes).toEqual({
      namespace: 'games',
      kubeconfig: '/etc/minefleet/kubeconfig',
      platformNamespace: 'minefleet',
      address: 'pod-ip',
      acceptEula: true,
      maintenanceLingerSeconds: 0,
    });
    await expect(load({ MINEFLEET_RUNTIME: 'docker' })).rejects.toThrow(
      new ConfigError('MINEFLEET_RUNTIME must be local or kubernetes (got "docker").'),
    );
    await expect(load({ MINEFLEET_K8S_NAMESPACE: 'Games_1' })).rejects.toThrow(
      'MINEFLEET_K8S_NAMESPACE must be a Kubernetes namespace name (got "Games_1").',
    );
    await expect(load({ MINEFLEET_K8S_ADDRESS: 'node-port' })).rejects.toThrow(
      'MINEFLEET_K8S_ADDRESS must be service or pod-ip (got "node-port").',
    );
    await expect(load({ MINEFLEET_K8S_MAINTENANCE_LINGER_SECONDS: '1.5' })).rejects.toThrow(
      'MINEFLEET_K8S_MAINTENANCE_LINGER_SECONDS must be a whole number of seconds from 0 to 3600 (got "1.5").',
    );
  });
});
