import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_REGION, isValidRegion } from '@minefleet/domain/names';
import type { PluginSourcesConfig } from '@minefleet/plugins/plugin-sources-config';
import type { LimitsMode } from '@minefleet/runtime-local/cgroups';
import { DEFAULT_GAME_UID_BASE } from '@minefleet/runtime-local/create-local-driver';
import { inheritedEnvironment } from '@minefleet/runtime-local/distribution-runtime';
import type { IsolationMode } from '@minefleet/runtime-local/sandbox';
import { LiveConfigError, loadLiveConfig, type LiveConfig } from './live-config.js';
import { DataFolderError, secureDataFolder, storedSecret } from './data-folder.js';
import { BackupConfigError, loadBackupConfig, type BackupConfig } from './backup-config.js';
import { PlayersConfigError, loadPlayersConfig, type PlayersConfig } from './players-platform.js';
import { GatewayConfigError, loadGatewayConfig, type GatewayConfig } from './gateway-config.js';
import { IdentityConfigError, loadIdentityConfig, type IdentityConfig } from './identity-config.js';
import { OidcConfigError, loadOidcConfig, type OidcProviderConfig } from './oidc-config.js';
import { PluginConfigError, loadPluginSourcesConfig } from './plugin-config.js';
import {
  KubernetesConfigError,
  loadKubernetesRuntimeConfig,
  loadRuntimeKind,
  type KubernetesRuntimeConfig,
  type RuntimeKind,
} from './kubernetes-runtime.js';

/**
 * Configuration of the control plane, read once from the environment by the composition root.
 * Every variable is documented in README.md's configuration table; keep the two in step.
 */
export interface Config {
  /** Metrics, Prometheus, WebSocket, event bus and replicas (live-config.ts). */
  live: LiveConfig;
  /** Backups, schedules and retention, and where archives are kept (backup-config.ts). */
  backups: BackupConfig;
  /** The Minecraft gateway: one port for every server, sleep and wake (gateway-config.ts). */
  gateway?: GatewayConfig;
  /** The files API's upkeep (docs/files.md): minutes between expired-trash purges; 0: only at start. */
  files?: { housekeepingIntervalMinutes: number };
  /** Email, sessions, sign-in limits, trusted proxies (identity-config.ts). */
  identity: IdentityConfig;
  /** Single sign-on providers (oidc-config.ts); empty: password sign-in only. */
  oidc: OidcProviderConfig[];
  host: string;
  port: number;
  /** Public base URL printed at start (and used in links). */
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** Embedded database: minutes between VACUUM (ANALYZE) runs; 0 only analyses at start (upkeep.ts). */
  databaseUpkeepMinutes: number;
  /** Embedded database: PostgreSQL's shared_buffers in MiB (connect.ts). */
  pgliteSharedBuffersMb: number;
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
  /**
   * What may run at once (docs/runtime.md, "Admission"): the share of the host's memory the plans of
   * running servers may add up to (percent; 0: no limit), and servers per tenant running (0: no cap).
   */
  /** Admission to run (port-allocator.ts) and the start queue's launches in flight (start-queue.ts). */
  admission: { hostMemoryPercent: number; maxRunningPerTenant: number; startConcurrency: number };
  /** Host name or address players connect to (the `address.host` of servers). */
  gameHost: string;
  /**
   * This installation's region (MINEFLEET_REGION, default `local`): new servers get it unless they name
   * another, and the gateway routes only to servers of it (docs/multi-region.md).
   */
  region: string;
  /** Address game servers bind to. */
  gameBindHost: string;
  quotas: { maxServers: number; maxMemoryMb: number; backupStorageBytes: number };
  /** How long /health may reuse a disk or store probe (the database is asked every time). */
  healthCacheMs: number;
  /** Seconds given to in-flight requests and work on SIGTERM before closing. */
  shutdownGraceSeconds: number;
  /** Seconds between checks of running servers' folders against their plan's storage (0: off). */
  storageCheckSeconds: number;
  /** A quiet window this long (seconds) ends in one memory-reducing collection (0: off; idle-memory.ts). */
  idleGcSeconds: number;
  /** Plugin sources and the catalogue sync (docs/plugins.md). */
  plugins: PluginSourcesConfig & {
    /** Minutes between catalogue syncs; 0: only at start. */
    syncIntervalMinutes: number;
    /** Plugins read from each source's search per sync. */
    syncLimit: number;
    /** Emails of the platform administrators (they approve plugin versions). */
    platformAdmins: string[];
  };
  /** Name-to-UUID lookups for player management (docs/players.md). */
  players: PlayersConfig;
  /** The local runtime driver (docs/runtime.md), handed to createLocalDriver by the composition root. */
  runtime: LocalRuntimeConfig;
  /** Where game servers run (MINEFLEET_RUNTIME): local processes, or a Kubernetes cluster (preview). */
  runtimeKind: RuntimeKind;
  kubernetes: KubernetesRuntimeConfig;
}

export interface LocalRuntimeConfig {
  /** MINEFLEET_ISOLATION: contain game processes (`auto`, `require` or `off`; docs/security.md). */
  isolation: IsolationMode;
  /** MINEFLEET_LIMITS: enforce the plans' CPU and memory with control groups (`auto` or `off`). */
  limits: LimitsMode;
  /** MINEFLEET_GAME_UID_BASE: the first user id given to servers when the control plane runs as root. */
  gameUidBase: number;
  /** MINEFLEET_JAVA, MINEFLEET_JAR_DIR, MINEFLEET_ACCEPT_EULA: how Java servers run. */
  java: { javaPath: string; jarDir: string | undefined; acceptEula: boolean };
  /** Folders game processes must not see besides the data folder: a local MINEFLEET_BACKUP_DIR. */
  hiddenPaths: string[];
  /** What game processes inherit of this environment: PATH, locale and time zone, nothing else. */
  inheritedEnv: Record<string, string>;
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

function percent(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(value) || value > 1000) {
    throw new ConfigError(`${name} must be a percentage from 0 to 1000, such as 90 or 12.5 (got "${raw}").`);
  }
  return value;
}

/** One of `allowed` (lower case); the fallback when unset or empty. */
function choice<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return fallback;
  const value = raw.toLowerCase() as T;
  if (!allowed.includes(value)) {
    throw new ConfigError(
      `${name} must be ${allowed.join(', ').replace(/, ([^,]*)$/, ' or $1')} (got "${raw}").`,
    );
  }
  return value;
}

function runtimeConfig(env: NodeJS.ProcessEnv): LocalRuntimeConfig {
  const jarDir = env.MINEFLEET_JAR_DIR?.trim();
  const backupDir = env.MINEFLEET_BACKUP_DIR?.trim();
  return {
    isolation: choice(env, 'MINEFLEET_ISOLATION', ['auto', 'require', 'off'], 'auto'),
    limits: choice(env, 'MINEFLEET_LIMITS', ['auto', 'off'], 'auto'),
    gameUidBase: int(env, 'MINEFLEET_GAME_UID_BASE', DEFAULT_GAME_UID_BASE, 1000, 2_000_000_000),
    java: {
      javaPath: env.MINEFLEET_JAVA?.trim() || 'java',
      jarDir: jarDir ? path.resolve(jarDir) : undefined,
      acceptEula: choice(env, 'MINEFLEET_ACCEPT_EULA', ['true', 'false'], 'false') === 'true',
    },
    hiddenPaths: backupDir ? [path.resolve(backupDir)] : [],
    inheritedEnv: inheritedEnvironment(env),
  };
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

/** One section of the configuration, its loader's own error reported as a ConfigError. */
function section<T>(errorClass: new (message: string) => Error, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof errorClass) throw new ConfigError(error.message);
    throw error;
  }
}

/** The JWT secret: from the environment, else generated once and kept in the data folder. */
async function jwtSecret(env: NodeJS.ProcessEnv, dataDir: string): Promise<string> {
  const fromEnv = env.MINEFLEET_JWT_SECRET;
  if (fromEnv) {
    if (fromEnv.length < 32) throw new ConfigError('MINEFLEET_JWT_SECRET must be at least 32 characters.');
    return fromEnv;
  }
  return storedSecret(dataDir, 'jwt-secret');
}

export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const dataDir = path.resolve(env.MINEFLEET_DATA_DIR || './data');
  try {
    await secureDataFolder(dataDir);
  } catch (error) {
    if (error instanceof DataFolderError) throw new ConfigError(error.message);
    throw error;
  }
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const cors = (env.MINEFLEET_CORS_ORIGINS ?? '').trim();
  // `external`: a `minefleet gateway` process on this host takes 25565 (docs/gateway.md).
  const gatewayOn =
    ['on', 'true', 'external'].includes((env.MINEFLEET_GATEWAY ?? '').trim().toLowerCase()) ||
    (!env.MINEFLEET_GATEWAY && !!env.MINEFLEET_GATEWAY_PORT);
  // With the gateway on 25565 by default, game ports start one above it unless chosen.
  const portRange = parsePortRange(env.MINEFLEET_PORT_RANGE || (gatewayOn ? '25566-25665' : '25565-25664'));
  const gameBindHost = env.MINEFLEET_GAME_BIND_HOST || '0.0.0.0';
  const runtime = runtimeConfig(env);
  return {
    host,
    port,
    publicUrl:
      env.MINEFLEET_PUBLIC_URL ||
      `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`,
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolSize: int(env, 'MINEFLEET_DB_POOL_SIZE', 10, 1, 500),
    databaseUpkeepMinutes: int(env, 'MINEFLEET_DB_UPKEEP_MINUTES', 30, 0, 1440),
    pgliteSharedBuffersMb: int(env, 'MINEFLEET_PGLITE_SHARED_BUFFERS_MB', 16, 1, 4096),
    jwtSecret: await jwtSecret(env, dataDir),
    sessionTtlSeconds: int(env, 'MINEFLEET_SESSION_TTL_SECONDS', 12 * 3600, 60),
    authCacheTtlMs: int(env, 'MINEFLEET_AUTH_CACHE_MS', 5000, 0, 60_000),
    logLevel: env.LOG_LEVEL || 'info',
    corsOrigins: cors === '' || cors === '*' ? true : cors.split(',').map((s) => s.trim()),
    bodyLimitBytes: int(env, 'MINEFLEET_BODY_LIMIT_BYTES', 1024 * 1024, 1024),
    loginRateLimitPerMinute: int(env, 'MINEFLEET_LOGIN_RATE_LIMIT', 10, 1),
    signupRateLimitPerHour: int(env, 'MINEFLEET_SIGNUP_RATE_LIMIT', 30, 1),
    portRange,
    admission: {
      hostMemoryPercent: percent(env, 'MINEFLEET_HOST_MEMORY_PERCENT', 100),
      maxRunningPerTenant: int(env, 'MINEFLEET_MAX_RUNNING_PER_TENANT', 0, 0),
      // One launch per core: a launch is mostly the game loading, one core's work (docs/runtime.md).
      startConcurrency: int(
        env,
        'MINEFLEET_START_CONCURRENCY',
        Math.max(1, os.availableParallelism()),
        1,
        1000,
      ),
    },
    gameHost: env.MINEFLEET_GAME_HOST || '127.0.0.1',
    gameBindHost,
    region: regionOf(env),
    quotas: {
      maxServers: int(env, 'MINEFLEET_QUOTA_MAX_SERVERS', 10, 0),
      maxMemoryMb: int(env, 'MINEFLEET_QUOTA_MAX_MEMORY_MB', 16384, 0),
      backupStorageBytes: int(env, 'MINEFLEET_QUOTA_BACKUP_BYTES', 20 * 1024 ** 3, 0),
    },
    healthCacheMs: int(env, 'MINEFLEET_HEALTH_CACHE_MS', 10_000, 0, 300_000),
    shutdownGraceSeconds: int(env, 'MINEFLEET_SHUTDOWN_GRACE_SECONDS', 10, 0, 600),
    storageCheckSeconds: int(env, 'MINEFLEET_STORAGE_CHECK_SECONDS', 60, 0, 24 * 3600),
    idleGcSeconds: int(env, 'MINEFLEET_IDLE_GC_SECONDS', 30, 0, 24 * 3600),
    plugins: pluginConfig(env),
    files: {
      housekeepingIntervalMinutes: int(env, 'MINEFLEET_FILES_HOUSEKEEPING_INTERVAL_MINUTES', 60, 0, 24 * 60),
    },
    live: await withMetricsToken(
      section(LiveConfigError, () => loadLiveConfig(env)),
      dataDir,
    ),
    backups: section(BackupConfigError, () => loadBackupConfig(env, dataDir)),
    players: section(PlayersConfigError, () => loadPlayersConfig(env)),
    gateway: section(GatewayConfigError, () => loadGatewayConfig(env, gameBindHost, portRange)),
    identity: section(IdentityConfigError, () => loadIdentityConfig(env)),
    oidc: section(OidcConfigError, () => loadOidcConfig(env)),
    runtime,
    runtimeKind: section(KubernetesConfigError, () => loadRuntimeKind(env)),
    kubernetes: section(KubernetesConfigError, () =>
      loadKubernetesRuntimeConfig(env, runtime.java.acceptEula),
    ),
  };
}

/**
 * GET /metrics names every tenant's servers, so it always needs a token: MINEFLEET_METRICS_TOKEN, else
 * one generated once into the data folder (`metrics-token`) for Prometheus to read.
 */
async function withMetricsToken(live: LiveConfig, dataDir: string): Promise<LiveConfig> {
  if (live.metrics.token) return live;
  return { ...live, metrics: { ...live.metrics, token: await storedSecret(dataDir, 'metrics-token', 32) } };
}

/** This package's version (from src/ in tests, dist/ when built): the plugin sources' User-Agent. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function pluginConfig(env: NodeJS.ProcessEnv): Config['plugins'] {
  return {
    ...section(PluginConfigError, () => loadPluginSourcesConfig(env, packageVersion())),
    syncIntervalMinutes: int(env, 'MINEFLEET_PLUGIN_SYNC_INTERVAL_MINUTES', 360, 0, 7 * 24 * 60),
    syncLimit: int(env, 'MINEFLEET_PLUGIN_SYNC_LIMIT', 100, 1, 1000),
    platformAdmins: (env.MINEFLEET_PLATFORM_ADMINS ?? '')
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter((e) => e !== ''),
  };
}

function regionOf(env: NodeJS.ProcessEnv): string {
  const region = (env.MINEFLEET_REGION ?? '').trim() || DEFAULT_REGION;
  if (!isValidRegion(region))
    throw new ConfigError('MINEFLEET_REGION must be 1–32 characters of a-z, 0-9 and "-" (e.g. eu-west-1).');
  return region;
}
