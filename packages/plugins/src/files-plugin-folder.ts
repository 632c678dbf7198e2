/**
 * The `PluginFolder` port over the files port (`ServerFiles`), for servers whose files are not a folder of
 * this machine (Kubernetes: a pod's volume, reached through its in-pod agent). A plugin folder is
 * addressed as `filesPluginDir(serverId, rel)`.
 *
 * The guarantees are the local folder's (server-plugin-folder.ts): every file is downloaded and verified
 * (size, published hash) on this machine first, into a temporary folder; only when all of them match
 * are they written into a hidden staging folder inside the plugin folder and then renamed into place,
 * so a tampered download changes nothing on the server. The files port writes atomically. What a loader
 * reads (flying-squid's package.json, load order, config.json) is written as the local folder writes it.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Distribution } from '@minefleet/domain/distributions';
import { isDomainError } from '@minefleet/domain/errors';
import type {
  PluginFileToPlace,
  PluginFolder,
  PluginFolderCapabilities,
} from '@minefleet/domain/ports/plugin-folder';
import type { ServerFiles } from '@minefleet/domain/ports/server-files';
import { downloadAllVerified, safePluginPath } from './download-verified.js';
import {
  FLYING_SQUID_PACKAGE_MARKER,
  flyingSquidConfigJson,
  flyingSquidLoadOrderJson,
} from './flying-squid-plugin-folder.js';
import { DISABLED_SUFFIX, flyingSquidSlug, pluginCapabilities } from './server-plugin-folder.js';

const ADDRESS = /^files:([0-9a-f-]{36}):((?:plugins|mods))$/;

/** The address of a server's plugin folder (`plugins` or `mods`, relative to its files) for this folder. */
export function filesPluginDir(serverId: string, rel: 'plugins' | 'mods'): string {
  return `files:${serverId}:${rel}`;
}

function parse(dir: string): { serverId: string; rel: string } {
  const match = ADDRESS.exec(dir);
  if (!match) throw new Error(`Not a plugin folder of the files port: ${JSON.stringify(dir)}`);
  return { serverId: match[1]!, rel: match[2]! };
}

const encoder = new TextEncoder();

export class FilesPluginFolder implements PluginFolder {
  constructor(private readonly files: ServerFiles) {}

  capabilities(distribution: Distribution): PluginFolderCapabilities {
    return pluginCapabilities(distribution);
  }

  async place(
    dir: string,
    distribution: Distribution,
    files: readonly PluginFileToPlace[],
    replaced: readonly string[] = [],
  ): Promise<void> {
    const { serverId, rel } = parse(dir);
    // Names are checked before anything is downloaded or written (one plain segment each).
    for (const file of files) safePluginPath('/', file.fileName);
    for (const name of replaced) safePluginPath('/', name);
    const local = await mkdtemp(path.join(os.tmpdir(), 'minefleet-plugins-'));
    try {
      const verified = await downloadAllVerified(files, local);
      await this.prepare(serverId, rel, distribution);
      const staging = `${rel}/.minefleet-staging-${randomBytes(6).toString('hex')}`;
      await this.files.mkdir(serverId, staging);
      try {
        for (const [i, file] of files.entries())
          await this.files.write(
            serverId,
            `${staging}/${file.fileName}`,
            createReadStream(verified[i]!.path),
            {
              maxBytes: file.sizeBytes,
              mode: 0o644,
            },
          );
        for (const file of files)
          await this.files.rename(serverId, `${staging}/${file.fileName}`, `${rel}/${file.fileName}`, true);
      } finally {
        await this.files.remove(serverId, staging).catch(() => undefined);
      }
    } finally {
      await rm(local, { recursive: true, force: true });
    }
    const placed = new Set(files.map((f) => f.fileName));
    for (const name of replaced) {
      if (placed.has(name)) continue;
      await this.removeIfPresent(serverId, `${rel}/${name}`);
      await this.removeIfPresent(serverId, `${rel}/${name}${DISABLED_SUFFIX}`);
    }
  }

  async setEnabled(dir: string, fileName: string, enabled: boolean): Promise<void> {
    const { serverId, rel } = parse(dir);
    safePluginPath('/', fileName);
    const active = `${rel}/${fileName}`;
    const disabled = active + DISABLED_SUFFIX;
    const [from, to] = enabled ? [disabled, active] : [active, disabled];
    try {
      await this.files.rename(serverId, from, to, true);
    } catch (error) {
      // Already in the wanted form (or the file is gone, which the next install repairs).
      if (!(isDomainError(error) && error.code === 'FILE_NOT_FOUND')) throw error;
    }
  }

  async remove(dir: string, distribution: Distribution, fileName: string): Promise<void> {
    const { serverId, rel } = parse(dir);
    safePluginPath('/', fileName);
    await this.removeIfPresent(serverId, `${rel}/${fileName}`);
    await this.removeIfPresent(serverId, `${rel}/${fileName}${DISABLED_SUFFIX}`);
    // The configuration Minefleet wrote goes with the plugin; the plugin's own data stays.
    if (distribution === 'flying-squid')
      await this.removeIfPresent(serverId, `${rel}/${flyingSquidSlug(fileName)}/config.json`);
  }

  async writeConfig(
    dir: string,
    distribution: Distribution,
    fileName: string,
    config: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    if (distribution !== 'flying-squid') return;
    const { serverId, rel } = parse(dir);
    safePluginPath('/', fileName);
    const { slug, content } = flyingSquidConfigJson(flyingSquidSlug(fileName), config);
    await this.files.mkdir(serverId, `${rel}/${slug}`);
    await this.files.write(serverId, `${rel}/${slug}/config.json`, encoder.encode(content), { mode: 0o644 });
  }

  async writeLoadOrder(dir: string, distribution: Distribution, fileNames: readonly string[]): Promise<void> {
    if (distribution !== 'flying-squid') return;
    const { serverId, rel } = parse(dir);
    await this.prepare(serverId, rel, distribution);
    const content = flyingSquidLoadOrderJson(fileNames.map(flyingSquidSlug));
    await this.files.write(serverId, `${rel}/load-order.json`, encoder.encode(content), { mode: 0o644 });
  }

  /** The folder, and for flying-squid the package.json that makes Node read its plugins as CommonJS. */
  private async prepare(serverId: string, rel: string, distribution: Distribution): Promise<void> {
    await this.files.mkdir(serverId, rel);
    if (distribution !== 'flying-squid') return;
    const marker = `${rel}/package.json`;
    const current = await this.files.read(serverId, marker, 4096).then(
      (bytes) => new TextDecoder().decode(bytes),
      () => undefined,
    );
    if (current !== FLYING_SQUID_PACKAGE_MARKER)
      await this.files.write(serverId, marker, encoder.encode(FLYING_SQUID_PACKAGE_MARKER), { mode: 0o644 });
  }

  private async removeIfPresent(serverId: string, rel: string): Promise<void> {
    try {
      await this.files.remove(serverId, rel);
    } catch (error) {
      if (!(isDomainError(error) && error.code === 'FILE_NOT_FOUND')) throw error;
    }
  }
}
