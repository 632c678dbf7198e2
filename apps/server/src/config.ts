import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  pluginSourcesConfigFromEnv,
  type PluginSourcesConfig,
} from '@minefleet/plugins/plugin-sources-config';
import { LiveConfigError, loadLiveConfig, type LiveConfig } from './live-config.js';
import { BackupConfigError, loadBackupConfig, type BackupConfig } from './backup-config.js';

/**
 * Configuration of the control plane, read once from the environment by the composition root.
 * Every variable is documented in README.md's configuration table; keep the two in step.
 */
export interface Config {
  /** Metrics, Prometheus, WebSocket, event bus and replicas (live-config.ts). */
  live: LiveConfig;
  /** Backups, schedules and retention (backup-config.ts); the store is read from `backups.storeEnv`. */
  backups: BackupConfig;
  host: string;
  port: number;
  /** Public base URL printed at start (and used in links). */
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  jwtSecret: string;
  sessionTtlSeconds: number;
  /** How long a recognised token is remembered (another replica's revocation is seen within it). */
  authCacheTtlMs: number;
  logLevel: string;
  corsOrigins: string[] | true;
  bodyLimitBytes: number;
  loginRateLimitPerMinute: number;
  signupRateLimitPerHour: number;
  /** Game ports handed out to servers, inclusive. */
  portRange: { from: number; to: number };
  /** Host name or address players connect to (the `address.host` of servers). */
  gameHost: string;
  /** Address game servers bind to. */
  gameBindHost: string;
  quotas: { maxServers: number; maxMemoryMb: number; backupStorageBytes: number };
  /** How long /health may reuse a disk or store probe (the database is asked every time). */
  healthCacheMs: number;
  /** Seconds given to in-flight requests and work on SIGTERM before closing. */
  shutdownGraceSeconds: number;
  /** Plugin sources and the catalogue sync (docs/plugins.md). */
  plugins: PluginSourcesConfig & {
    /** Minutes between catalogue syncs; 0: only at start. */
    syncIntervalMinutes: number;
    /** Plugins read from each source's search per sync. */
    syncLimit: number;
    /** Emails of the platform administrators (they approve plugin versions). */
    platformAdmins: string[];
  };
}

export class ConfigError extends Error {}

function int(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}").`);
  }
  return value;
}

export function parsePortRange(raw: string): { from: number; to: number } {
  const match = /^(\d+)-(\d+)$/.exec(raw.trim());
  const from = Number(match?.[1]);
  const to = Number(match?.[2]);
  if (!match || from < 1 || to > 65535 || from > to) {
    throw new ConfigError(`MINEFLEET_PORT_RANGE must look like 25565-25664 (got "${raw}").`);
  }
  return { from, to };
}

/** The JWT secret: from the environment, else generated once and kept in the data folder. */
async function jwtSecret(env: NodeJS.ProcessEnv, dataDir: string): Promise<string> {
  const fromEnv = env.MINEFLEET_JWT_SECRET;
  if (fromEnv) {
    if (fromEnv.length < 32) throw new ConfigError('MINEFLEET_JWT_SECRET must be at least 32 characters.');
    return fromEnv;
  }
  const file = path.join(dataDir, 'jwt-secret');
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length >= 32) return stored;
  } catch {
    // Not there yet: made below.
  }
  const secret = randomBytes(48).toString('base64url');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const dataDir = path.resolve(env.MINEFLEET_DATA_DIR || './data');
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const cors = (env.MINEFLEET_CORS_ORIGINS ?? '').trim();
  return {
    host,
    port,
    publicUrl:
      env.MINEFLEET_PUBLIC_URL ||
      `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`,
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolSize: int(env, 'MINEFLEET_DB_POOL_SIZE', 10, 1, 500),
    jwtSecret: await jwtSecret(env, dataDir),
    sessionTtlSeconds: int(env, 'MINEFLEET_SESSION_TTL_SECONDS', 12 * 3600, 60),
    authCacheTtlMs: int(env, 'MINEFLEET_AUTH_CACHE_MS', 5000, 0, 60_000),
    logLevel: env.LOG_LEVEL || 'info',
    corsOrigins: cors === '' || cors === '*' ? true : cors.split(',').map((s) => s.trim()),
    bodyLimitBytes: int(env, 'MINEFLEET_BODY_LIMIT_BYTES', 1024 * 1024, 1024),
    loginRateLimitPerMinute: int(env, 'MINEFLEET_LOGIN_RATE_LIMIT', 10, 1),
    signupRateLimitPerHour: int(env, 'MINEFLEET_SIGNUP_RATE_LIMIT', 30, 1),
    portRange: parsePortRange(env.MINEFLEET_PORT_RANGE || '25565-25664'),
    gameHost: env.MINEFLEET_GAME_HOST || '127.0.0.1',
    gameBindHost: env.MINEFLEET_GAME_BIND_HOST || '0.0.0.0',
    quotas: {
      maxServers: int(env, 'MINEFLEET_QUOTA_MAX_SERVERS', 10, 0),
      maxMemoryMb: int(env, 'MINEFLEET_QUOTA_MAX_MEMORY_MB', 16384, 0),
      backupStorageBytes: int(env, 'MINEFLEET_QUOTA_BACKUP_BYTES', 20 * 1024 ** 3, 0),
    },
    healthCacheMs: int(env, 'MINEFLEET_HEALTH_CACHE_MS', 10_000, 0, 300_000),
    shutdownGraceSeconds: int(env, 'MINEFLEET_SHUTDOWN_GRACE_SECONDS', 10, 0, 600),
    plugins: pluginConfig(env),
    live: liveConfig(env),
    backups: backupConfig(env),
  };
}

function backupConfig(env: NodeJS.ProcessEnv): BackupConfig {
  try {
    return loadBackupConfig(env);
  } catch (error) {
    if (error instanceof BackupConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

function liveConfig(env: NodeJS.ProcessEnv): LiveConfig {
  try {
    return loadLiveConfig(env);
  } catch (error) {
    if (error instanceof LiveConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

/** This package's version (from src/ in tests, dist/ when built): the plugin sources' User-Agent. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function pluginConfig(env: NodeJS.ProcessEnv): Config['plugins'] {
  let sources: PluginSourcesConfig;
  try {
    sources = pluginSourcesConfigFromEnv(env, packageVersion());
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return {
    ...sources,
    syncIntervalMinutes: int(env, 'MINEFLEET_PLUGIN_SYNC_INTERVAL_MINUTES', 360, 0, 7 * 24 * 60),
    syncLimit: int(env, 'MINEFLEET_PLUGIN_SYNC_LIMIT', 100, 1, 1000),
    platformAdmins: (env.MINEFLEET_PLATFORM_ADMINS ?? '')
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter((e) => e !== ''),
  };
}
