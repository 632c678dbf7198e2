import type { Database } from '@minefleet/db/database';
import { DomainError } from '@minefleet/domain/errors';
import { assertAccessible, fileProtection, joinPath, normalizeFilePath } from '@minefleet/domain/file-paths';
import type { DirEntry, FileStat, ServerFiles } from '@minefleet/domain/ports/server-files';
import type { Actor } from '../actor.js';
import { loadServerFor } from '../server-access.js';
import type { ServerRecord } from '../server-record.js';
import { FILE_PERMISSIONS, type FileAction, type FileEntry } from './file-model.js';

/**
 * The checks every file action starts with: the server is in the actor's tenant, the actor holds the
 * action's permission, the path is normalised and allowed by the distribution's deny list.
 */
export class FileAccess {
  constructor(
    private readonly db: Database,
    readonly files: ServerFiles,
  ) {}

  /** The server (in the actor's tenant) after checking the actor holds the permission `action` needs. */
  server(actor: Actor, serverId: string, action: FileAction): Promise<ServerRecord> {
    return loadServerFor(this.db, actor, serverId, FILE_PERMISSIONS[action]);
  }

  /** Normalises a user path and applies the deny list. */
  resolve(server: ServerRecord, input: string, write: boolean): string {
    const rel = normalizeFilePath(input);
    assertAccessible(server.distribution, rel, write);
    return rel;
  }

  /** A listed or stat'ed entry as the API shows it (its protection included). */
  entry(server: ServerRecord, parent: string, e: DirEntry): FileEntry {
    const path = joinPath(parent, e.name);
    return {
      name: e.name,
      path,
      type: e.type,
      size: e.size,
      mtimeMs: e.mtimeMs,
      mode: e.mode,
      protection: fileProtection(server.distribution, path),
    };
  }

  /** One file or folder (the read permission checked): FILE_NOT_FOUND when nothing is there. */
  async stat(actor: Actor, serverId: string, input: string): Promise<FileEntry> {
    const server = await this.server(actor, serverId, 'read');
    const rel = this.resolve(server, input, false);
    const stat = await this.files.stat(serverId, rel);
    if (!stat) throw new DomainError('FILE_NOT_FOUND', `Nothing at "${rel}".`, { path: rel });
    const name = rel.includes('/') ? rel.slice(rel.lastIndexOf('/') + 1) : rel;
    return this.entry(server, rel.slice(0, Math.max(0, rel.length - name.length - 1)), { name, ...stat });
  }

  /** A file (not a folder) at `rel`: FILE_NOT_FOUND or FILE_TYPE_MISMATCH otherwise. */
  async requireFile(serverId: string, rel: string): Promise<FileStat> {
    const stat = await this.files.stat(serverId, rel);
    if (!stat) throw new DomainError('FILE_NOT_FOUND', `Nothing at "${rel}".`, { path: rel });
    if (stat.type === 'directory')
      throw new DomainError('FILE_TYPE_MISMATCH', `"${rel}" is a folder.`, { path: rel });
    return stat;
  }
}
