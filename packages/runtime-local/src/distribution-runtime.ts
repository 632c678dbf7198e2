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
  /** The command is a sandbox that writes `{"child-pid": N}` to fd 3 (bubblewrap's --info-fd). */
  infoFd?: boolean;
}

/** Rotation of the console log each game process writes. */
export interface LogRotation {
  maxBytes: number;
  maxFiles: number;
}

/** The variables of the control plane's environment a game process inherits. */
export const INHERITED_VARIABLES = ['PATH', 'LANG', 'LC_ALL', 'TZ'] as const;

/**
 * What a game process inherits of `env` (the control plane's): enough to run, nothing else (its
 * database URL and secrets must not reach server software and third-party plugins).
 */
export function inheritedEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const inherited: Record<string, string> = { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  for (const key of INHERITED_VARIABLES) {
    const value = env[key];
    if (key !== 'PATH' && value !== undefined) inherited[key] = value;
  }
  return inherited;
}

/** The environment a game process gets: its home, what it inherits (inheritedEnvironment), `extra`. */
export function gameEnvironment(
  root: string,
  inherited: Record<string, string>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { HOME: root, ...inherited, ...extra };
}
