import { createHash } from 'node:crypto';
import type { ServerFiles } from '@minefleet/domain/ports/server-files';
import { DomainError } from '@minefleet/domain/errors';
import { PLATFORM_STATE_DIR } from '@minefleet/domain/file-paths';

/** How many saved versions of each edited text file are kept (the oldest goes first). */
export const MAX_VERSIONS = 20;

const VERSIONS_DIR = `${PLATFORM_STATE_DIR}/files/versions`;

export interface FileVersion {
  version: number;
  size: number;
  sha256: string;
  savedAt: string;
  /** Who saved it; null for the content found before the first edit. */
  userId: string | null;
}

interface VersionIndex {
  path: string;
  next: number;
  versions: FileVersion[];
}

function folderOf(rel: string): string {
  return `${VERSIONS_DIR}/${createHash('sha256').update(rel).digest('hex').slice(0, 40)}`;
}

/**
 * The history of each edited text file, in the server's state folder (left out of backups): every save
 * through the editor is one numbered version; the content found before the first edit is version 1.
 */
export class FileVersions {
  constructor(
    private readonly files: ServerFiles,
    private readonly now: () => number,
  ) {}

  private async index(serverId: string, rel: string): Promise<VersionIndex> {
    try {
      const raw = await this.files.read(serverId, `${folderOf(rel)}/index.json`, 1024 * 1024);
      const parsed = JSON.parse(Buffer.from(raw).toString('utf8')) as VersionIndex;
      if (parsed.path === rel) return parsed;
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'FILE_NOT_FOUND')) throw error;
    }
    return { path: rel, next: 1, versions: [] };
  }

  async list(serverId: string, rel: string): Promise<FileVersion[]> {
    return [...(await this.index(serverId, rel)).versions].reverse();
  }

  async content(serverId: string, rel: string, version: number, maxBytes: number): Promise<Uint8Array> {
    const index = await this.index(serverId, rel);
    if (!index.versions.some((v) => v.version === version)) {
      throw new DomainError('FILE_VERSION_NOT_FOUND', `"${rel}" has no saved version ${version}.`, {
        path: rel,
        version,
      });
    }
    return this.files.read(serverId, `${folderOf(rel)}/${version}`, maxBytes);
  }

  /**
   * Records a save: `previous` (the content it replaces) first when the file has no history yet, then
   * `saved`. Keeps the newest MAX_VERSIONS.
   */
  async record(
    serverId: string,
    rel: string,
    previous: Uint8Array | null,
    saved: Uint8Array,
    userId: string,
  ): Promise<FileVersion> {
    const index = await this.index(serverId, rel);
    const folder = folderOf(rel);
    const add = async (bytes: Uint8Array, by: string | null) => {
      const version: FileVersion = {
        version: index.next++,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        savedAt: new Date(this.now()).toISOString(),
        userId: by,
      };
      await this.files.write(serverId, `${folder}/${version.version}`, bytes);
      index.versions.push(version);
      return version;
    };
    if (index.versions.length === 0 && previous) await add(previous, null);
    const last = await add(saved, userId);
    const dropped = index.versions.splice(0, Math.max(0, index.versions.length - MAX_VERSIONS));
    await this.files.write(serverId, `${folder}/index.json`, Buffer.from(JSON.stringify(index)));
    for (const old of dropped) await this.files.remove(serverId, `${folder}/${old.version}`).catch(() => {});
    return last;
  }

  /** Forgets a file's history (it was deleted for good). */
  async drop(serverId: string, rel: string): Promise<void> {
    await this.files.remove(serverId, folderOf(rel)).catch(() => {});
  }
}
