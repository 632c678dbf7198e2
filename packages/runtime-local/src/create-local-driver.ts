import path from 'node:path';
import { DEFAULT_LOG_ROTATION, LocalDriver } from './local-driver.js';
import type { DistributionRuntime, LogRotation } from './distribution-runtime.js';
import { FlyingSquidRuntime } from './flying-squid-runtime.js';
import { JavaRuntime, type JavaRuntimeOptions } from './java/java-runtime.js';

export interface CreateLocalDriverOptions {
  dataDir: string;
  /** Node binary for flying-squid servers (default: the one running the control plane). */
  nodePath?: string;
  log?: Partial<LogRotation>;
  /** Java distributions; omit fields to take them from the environment (see localDriverEnv). */
  java?: Partial<JavaRuntimeOptions>;
  consoleTimeoutMs?: number;
}

/**
 * Environment variables the local driver reads (docs/runtime.md):
 *   MINEFLEET_JAVA         java binary (default: `java` on PATH)
 *   MINEFLEET_JAR_DIR      admin-supplied server jars (`paper-1.21.4.jar`, ...), used before any download
 *   MINEFLEET_ACCEPT_EULA  `true` to accept the Minecraft EULA for Java servers (they refuse to run otherwise)
 */
export function javaOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Pick<JavaRuntimeOptions, 'javaPath' | 'jarDir' | 'cacheDir' | 'acceptEula'> {
  return {
    javaPath: env.MINEFLEET_JAVA || 'java',
    jarDir: env.MINEFLEET_JAR_DIR || undefined,
    cacheDir: path.join(path.resolve(dataDir), 'cache', 'jars'),
    acceptEula: env.MINEFLEET_ACCEPT_EULA === 'true',
  };
}

/** The local driver with every distribution: flying-squid and the Java servers. */
export function createLocalDriver(
  options: CreateLocalDriverOptions,
  env: NodeJS.ProcessEnv = process.env,
): LocalDriver {
  const log = { ...DEFAULT_LOG_ROTATION, ...options.log };
  const nodePath = options.nodePath ?? process.execPath;
  const runtimes: DistributionRuntime[] = [
    new FlyingSquidRuntime({ nodePath, log }),
    new JavaRuntime({ ...javaOptionsFromEnv(env, options.dataDir), ...options.java, nodePath, log }),
  ];
  return new LocalDriver({
    dataDir: options.dataDir,
    runtimes,
    ...(options.consoleTimeoutMs !== undefined ? { consoleTimeoutMs: options.consoleTimeoutMs } : {}),
  });
}
