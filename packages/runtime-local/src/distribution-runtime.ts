import type { Distribution } from '@minefleet/domain/distributions';
import type { DistributionInfo, ServerSpec, StartOptions } from '@minefleet/domain/ports/runtime-driver';
import type { ServerFolder } from './server-folder.js';

/** How to run one family of distributions (flying-squid, or the Java servers) in a server folder. */
export interface DistributionRuntime {
  readonly distributions: readonly Distribution[];
  catalogue(): Promise<DistributionInfo[]>;
  /** Makes the folder runnable: server software, EULA, checks. Idempotent. */
  deploy(spec: ServerSpec, folder: ServerFolder, signal?: AbortSignal): Promise<void>;
  /** Writes the configuration files from the spec (and this start's overrides). */
  configure(
    spec: ServerSpec,
    folder: ServerFolder,
    overrides?: StartOptions['propertyOverrides'],
  ): Promise<void>;
  /** Writes the launch file and says what to spawn. The process must serve the console socket. */
  launch(spec: ServerSpec, folder: ServerFolder, options: StartOptions): Promise<LaunchPlan>;
}

export interface LaunchPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Rotation of the console log each game process writes. */
export interface LogRotation {
  maxBytes: number;
  maxFiles: number;
}

/**
 * The environment a game process gets: enough to run, nothing of the control plane's (its database
 * URL and secrets must not reach server software and third-party plugins).
 */
export function gameEnvironment(root: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    HOME: root,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  };
  for (const key of ['LANG', 'LC_ALL', 'TZ']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}
