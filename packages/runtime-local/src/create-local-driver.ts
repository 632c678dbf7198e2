import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LOG_ROTATION, LocalDriver } from './local-driver.js';
import { inheritedEnvironment, type DistributionRuntime, type LogRotation } from './distribution-runtime.js';
import { FlyingSquidRuntime } from './flying-squid-runtime.js';
import { JavaRuntime, type JavaRuntimeOptions } from './java/java-runtime.js';
import { detectIsolation, Sandbox, type IsolationMode } from './sandbox.js';
import { detectLimits, type LimitsMode } from './cgroups.js';

/**
 * The local driver's settings. The control plane's configuration reads them from the environment
 * (apps/server/src/config.ts, documented in docs/runtime.md); nothing in this package reads it.
 */
export interface CreateLocalDriverOptions {
  dataDir: string;
  /** Node binary for flying-squid servers (default: the one running the control plane). */
  nodePath?: string;
  log?: Partial<LogRotation>;
  /** Java distributions: java binary, admin-supplied jars, EULA (defaults: `java`, none, not accepted). */
  java?: Partial<JavaRuntimeOptions>;
  consoleTimeoutMs?: number;
  /** Containment of game processes (default `auto`: the strongest the host allows, docs/security.md). */
  isolation?: IsolationMode;
  /** Control groups for the plans' CPU and memory (default `auto`: where the host allows them). */
  limits?: LimitsMode;
  /** The first user id given to servers when the control plane runs as root (default 200000). */
  gameUidBase?: number;
  /** Folders outside the data folder that game processes must not see (a local backup folder). */
  hiddenPaths?: string[];
  /**
   * What game processes inherit of the control plane's environment (see inheritedEnvironment: PATH,
   * locale, time zone; default: a standard PATH only). Its PATH is also where bubblewrap is looked for.
   */
  inheritedEnv?: Record<string, string>;
  /** How long a measurement of a server folder's size is reused (default STORAGE_TTL_MS). */
  storageTtlMs?: number;
}

export const DEFAULT_GAME_UID_BASE = 200_000;

/** Where the code a game process runs lives: the launcher's checkout and the node binary's folder. */
function codeRoots(nodePath: string): string[] {
  const launcherPackage = fileURLToPath(new URL('..', import.meta.url));
  // The workspace root holds node_modules (flying-squid and its dependencies).
  return [path.resolve(launcherPackage, '..', '..'), path.dirname(path.dirname(nodePath))];
}

/** The local driver with every distribution: flying-squid and the Java servers. */
export function createLocalDriver(options: CreateLocalDriverOptions): LocalDriver {
  const log = { ...DEFAULT_LOG_ROTATION, ...options.log };
  const nodePath = options.nodePath ?? process.execPath;
  const inheritedEnv = options.inheritedEnv ?? inheritedEnvironment({});
  const runtimes: DistributionRuntime[] = [
    new FlyingSquidRuntime({ nodePath, log, inheritedEnv }),
    new JavaRuntime({
      javaPath: 'java',
      jarDir: undefined,
      acceptEula: false,
      ...options.java,
      cacheDir: options.java?.cacheDir ?? path.join(path.resolve(options.dataDir), 'cache', 'jars'),
      nodePath,
      log,
      inheritedEnv,
    }),
  ];
  const sandbox = new Sandbox(
    detectIsolation(options.isolation ?? 'auto', inheritedEnv.PATH ?? '/usr/bin:/bin'),
    {
      dataDir: options.dataDir,
      hidden: options.hiddenPaths ?? [],
      readOnly: codeRoots(nodePath),
      uidBase: options.gameUidBase ?? DEFAULT_GAME_UID_BASE,
    },
  );
  return new LocalDriver({
    dataDir: options.dataDir,
    runtimes,
    sandbox,
    limits: detectLimits(options.limits ?? 'auto'),
    ...(options.consoleTimeoutMs !== undefined ? { consoleTimeoutMs: options.consoleTimeoutMs } : {}),
    ...(options.storageTtlMs !== undefined ? { storageTtlMs: options.storageTtlMs } : {}),
  });
}
