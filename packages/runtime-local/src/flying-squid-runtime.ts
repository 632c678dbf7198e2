import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DomainError } from '@minefleet/domain/errors';
import type { DistributionInfo, ServerSpec, StartOptions } from '@minefleet/domain/ports/runtime-driver';
import { writeJsonAtomic } from './atomic-file.js';
import {
  gameEnvironment,
  type DistributionRuntime,
  type LaunchPlan,
  type LogRotation,
} from './distribution-runtime.js';
import { flyingSquidSettings } from './flying-squid-settings.js';
import type { ServerFolder } from './server-folder.js';

const require = createRequire(import.meta.url);

/** The launcher shipped with this package (plain JavaScript: spawned with node, never compiled). */
export const FLYING_SQUID_LAUNCHER = fileURLToPath(new URL('../launcher/flying-squid.cjs', import.meta.url));

/** Versions flying-squid itself lists as tested (its own src/lib/version.js), newest first. */
export function flyingSquidVersions(): string[] {
  // The small version module, not the package: loading flying-squid pulls in the whole protocol stack.
  const { testedVersions } = require('flying-squid/src/lib/version.js') as { testedVersions: string[] };
  return [...testedVersions].reverse();
}

export interface FlyingSquidRuntimeOptions {
  nodePath: string;
  log: LogRotation;
  /** What game processes inherit of the control plane's environment (inheritedEnvironment). */
  inheritedEnv: Record<string, string>;
}

export class FlyingSquidRuntime implements DistributionRuntime {
  readonly distributions = ['flying-squid'] as const;

  constructor(private readonly options: FlyingSquidRuntimeOptions) {}

  catalogue(): Promise<DistributionInfo[]> {
    return Promise.resolve([
      { distribution: 'flying-squid', versions: flyingSquidVersions(), available: true },
    ]);
  }

  async deploy(spec: ServerSpec, folder: ServerFolder): Promise<void> {
    if (!flyingSquidVersions().includes(spec.minecraftVersion)) {
      throw new DomainError(
        'UNSUPPORTED_VERSION',
        `flying-squid does not support Minecraft ${spec.minecraftVersion}`,
        {
          distribution: 'flying-squid',
          version: spec.minecraftVersion,
          supported: flyingSquidVersions(),
        },
      );
    }
    await mkdir(folder.pluginsDir, { recursive: true });
  }

  async configure(
    spec: ServerSpec,
    folder: ServerFolder,
    overrides?: StartOptions['propertyOverrides'],
  ): Promise<void> {
    await writeJsonAtomic(folder.flyingSquidSettings, flyingSquidSettings(spec, overrides));
  }

  async launch(spec: ServerSpec, folder: ServerFolder, options: StartOptions): Promise<LaunchPlan> {
    await this.deploy(spec, folder);
    const settings = flyingSquidSettings(spec, options.propertyOverrides);
    // The saved settings describe the server without this start's overrides.
    await this.configure(spec, folder);
    await writeJsonAtomic(
      folder.launchFile,
      {
        serverId: spec.serverId,
        generation: options.generation,
        root: folder.root,
        version: spec.minecraftVersion,
        host: spec.bindHost,
        port: spec.port,
        settings,
        ops: [],
        preStartCommands: options.preStartCommands ?? [],
        log: this.options.log,
      },
      0o600,
    );
    // V8's heap gets three quarters of the plan's memory; the rest is for buffers, code and the OS.
    const heapMb = Math.max(96, Math.floor(spec.memoryMb * 0.75));
    return {
      command: this.options.nodePath,
      args: [`--max-old-space-size=${heapMb}`, FLYING_SQUID_LAUNCHER, folder.launchFile],
      env: gameEnvironment(folder.root, this.options.inheritedEnv, { NODE_ENV: 'production' }),
    };
  }
}
