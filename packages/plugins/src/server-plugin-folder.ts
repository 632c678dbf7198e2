/**
 * The `PluginFolder` port over a server folder on this machine: what the install service asks for,
 * turned into files the distribution's loader reads.
 *
 * Placing several files (a plugin and its dependencies) is all-or-nothing: every file is downloaded and
 * verified into a hidden staging folder inside the plugin folder first (same file system, so the moves
 * are renames); only when all of them match their published hash are they moved into place. A
 * tampered download therefore leaves the folder exactly as it was, including the dependencies that
 * did verify. Loaders ignore hidden entries (flying-squid reads `<slug>.js`, Bukkit `*.jar`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Distribution } from '@minefleet/domain/distributions';
import type {
  PluginFileToPlace,
  PluginFolder,
  PluginFolderCapabilities,
} from '@minefleet/domain/ports/plugin-folder';
import { downloadAllVerified, safePluginPath } from './download-verified.js';
import { preparePluginFolder, writeLoadOrder, writePluginConfig } from './flying-squid-plugin-folder.js';

export const DISABLED_SUFFIX = '.disabled';

/** flying-squid's launcher names a plugin by its file name without `.js` (docs/flying-squid.md). */
export function flyingSquidSlug(fileName: string): string {
  return fileName.replace(/\.js$/, '');
}

export function pluginCapabilities(distribution: Distribution): PluginFolderCapabilities {
  // flying-squid reads plugins/<slug>/config.json; Bukkit-style plugins write their own config.yml on
  // first start in formats we do not own, so overrides are not offered there (yet). No loader we run
  // reloads plugins safely: Paper's /reload is unsupported by Paper itself.
  return { liveReload: false, configOverrides: distribution === 'flying-squid' };
}

export class ServerPluginFolder implements PluginFolder {
  capabilities(distribution: Distribution): PluginFolderCapabilities {
    return pluginCapabilities(distribution);
  }

  async place(
    dir: string,
    distribution: Distribution,
    files: readonly PluginFileToPlace[],
    replaced: readonly string[] = [],
  ): Promise<void> {
    if (distribution === 'flying-squid') await preparePluginFolder(dir);
    else await mkdir(dir, { recursive: true });
    for (const file of files) safePluginPath(dir, file.fileName);
    for (const name of replaced) safePluginPath(dir, name);

    const staging = path.join(dir, `.minefleet-staging-${randomBytes(6).toString('hex')}`);
    await mkdir(staging);
    try {
      await downloadAllVerified(files, staging);
      for (const file of files) {
        await rename(path.join(staging, file.fileName), path.join(dir, file.fileName));
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    const placed = new Set(files.map((f) => f.fileName));
    for (const name of replaced) {
      if (placed.has(name)) continue;
      await unlinkIfPresent(path.join(dir, name));
      await unlinkIfPresent(path.join(dir, name + DISABLED_SUFFIX));
    }
  }

  async setEnabled(dir: string, fileName: string, enabled: boolean): Promise<void> {
    const active = safePluginPath(dir, fileName);
    const disabled = active + DISABLED_SUFFIX;
    const [from, to] = enabled ? [disabled, active] : [active, disabled];
    try {
      await rename(from, to);
    } catch (error) {
      // Already in the wanted form (or the file is gone, which the next install repairs).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  async remove(dir: string, distribution: Distribution, fileName: string): Promise<void> {
    const active = safePluginPath(dir, fileName);
    await unlinkIfPresent(active);
    await unlinkIfPresent(active + DISABLED_SUFFIX);
    // The configuration Minefleet wrote goes with the plugin; the plugin's own data (e.g. spawn.json)
    // stays, as on every panel: reinstalling keeps a server's state.
    if (distribution === 'flying-squid') {
      await unlinkIfPresent(path.join(dir, flyingSquidSlug(fileName), 'config.json'));
    }
  }

  async writeConfig(
    dir: string,
    distribution: Distribution,
    fileName: string,
    config: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    if (distribution !== 'flying-squid') return;
    safePluginPath(dir, fileName);
    await writePluginConfig(dir, flyingSquidSlug(fileName), config);
  }

  async writeLoadOrder(dir: string, distribution: Distribution, fileNames: readonly string[]): Promise<void> {
    // Bukkit-style loaders order plugins by their own depend/softdepend; only flying-squid reads a file.
    if (distribution !== 'flying-squid') return;
    await preparePluginFolder(dir);
    await writeLoadOrder(dir, fileNames.map(flyingSquidSlug));
  }
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
