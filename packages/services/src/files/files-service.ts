import { DomainError } from '@minefleet/domain/errors';
import { fileProtection } from '@minefleet/domain/file-paths';
import type { Actor } from '../actor.js';
import type { ServerRecord } from '../server-record.js';
import { FileAccess } from './file-access.js';
import type { FileAction, FileEntry, FileListing, FilesServiceDeps } from './file-model.js';
import { searchFiles, type SearchQuery, type SearchResult } from './file-search.js';
import { FileTransfers } from './file-transfers.js';
import { FileTrash, type TrashItem } from './file-trash.js';
import { FileUploads } from './file-uploads.js';
import { FileVersions } from './file-versions.js';
import { listFolder, type ListOptions } from './folder-listing.js';
import { KeyedLock } from './keyed-lock.js';
import { TextFiles } from './text-files.js';

export {
  etagOf,
  FILE_PERMISSIONS,
  FILE_SORTS,
  MAX_EDIT_BYTES,
  MAX_PAGE,
  type Download,
  type FileEntry,
  type FileListing,
  type FileSort,
  type FilesServiceDeps,
  type ManagedFile,
  type SavedTextFile,
  type TextFile,
  type WriteRequest,
} from './file-model.js';

/**
 * Every file of a server's folder, safely: paths never leave the folder (normalised here, links checked
 * by the ServerFiles adapter), the platform's own files are protected per distribution, every write is
 * atomic, a save never overwrites a file changed since it was read (ETag / If-Match), deletes go to a
 * trash, and edited text files keep their last versions.
 *
 * The one entry point of the files API; its parts live beside it: the access checks (file-access.ts),
 * listing (folder-listing.ts), text files and their versions (text-files.ts), downloads, archives and
 * uploads (file-transfers.ts).
 */
export class FilesService {
  readonly trash: FileTrash;
  readonly versions: FileVersions;
  readonly uploads: FileUploads;
  private readonly access: FileAccess;
  private readonly text: TextFiles;
  private readonly transfers: FileTransfers;
  private readonly writes = new KeyedLock();

  constructor(private readonly deps: FilesServiceDeps) {
    const now = deps.now ?? Date.now;
    this.trash = new FileTrash(deps.files, now);
    this.versions = new FileVersions(deps.files, now);
    this.uploads = new FileUploads(deps.files, now);
    this.access = new FileAccess(deps.db, deps.files);
    this.text = new TextFiles(this.access, this.versions, this.writes, deps.managed);
    this.transfers = new FileTransfers(this.access, this.uploads, deps.extractLimits, deps.storage);
  }

  /** The server (in the actor's tenant) after checking the actor holds the permission `action` needs. */
  server(actor: Actor, serverId: string, action: FileAction): Promise<ServerRecord> {
    return this.access.server(actor, serverId, action);
  }

  /** Normalises a user path and applies the deny list. */
  resolve(server: ServerRecord, input: string, write: boolean): string {
    return this.access.resolve(server, input, write);
  }

  async list(actor: Actor, serverId: string, input: string, options: ListOptions = {}): Promise<FileListing> {
    const server = await this.access.server(actor, serverId, 'list');
    const rel = this.access.resolve(server, input, false);
    return listFolder(this.access, server, serverId, rel, options);
  }

  stat(actor: Actor, serverId: string, input: string): Promise<FileEntry> {
    return this.access.stat(actor, serverId, input);
  }

  // Text files and their versions (text-files.ts).
  read(...args: Parameters<TextFiles['read']>) {
    return this.text.read(...args);
  }
  write(...args: Parameters<TextFiles['write']>) {
    return this.text.write(...args);
  }
  listVersions(...args: Parameters<TextFiles['listVersions']>) {
    return this.text.listVersions(...args);
  }
  versionContent(...args: Parameters<TextFiles['versionContent']>) {
    return this.text.versionContent(...args);
  }
  revert(...args: Parameters<TextFiles['revert']>) {
    return this.text.revert(...args);
  }
  readConfig(...args: Parameters<TextFiles['readConfig']>) {
    return this.text.readConfig(...args);
  }
  editConfig(...args: Parameters<TextFiles['editConfig']>) {
    return this.text.editConfig(...args);
  }

  // Downloads, archives and uploads (file-transfers.ts).
  download(...args: Parameters<FileTransfers['download']>) {
    return this.transfers.download(...args);
  }
  extract(...args: Parameters<FileTransfers['extract']>) {
    return this.transfers.extract(...args);
  }
  archive(...args: Parameters<FileTransfers['archive']>) {
    return this.transfers.archive(...args);
  }
  createUpload(...args: Parameters<FileTransfers['createUpload']>) {
    return this.transfers.createUpload(...args);
  }
  uploadState(...args: Parameters<FileTransfers['uploadState']>) {
    return this.transfers.uploadState(...args);
  }
  appendUpload(...args: Parameters<FileTransfers['appendUpload']>) {
    return this.transfers.appendUpload(...args);
  }
  cancelUpload(...args: Parameters<FileTransfers['cancelUpload']>) {
    return this.transfers.cancelUpload(...args);
  }

  async mkdir(actor: Actor, serverId: string, input: string): Promise<FileEntry> {
    const server = await this.access.server(actor, serverId, 'write');
    const rel = this.access.resolve(server, input, true);
    const stat = await this.deps.files.stat(serverId, rel);
    if (stat) throw new DomainError('FILE_EXISTS', `"${rel}" already exists.`, { path: rel });
    await this.deps.files.mkdir(serverId, rel);
    return this.stat(actor, serverId, rel);
  }

  async move(
    actor: Actor,
    serverId: string,
    from: string,
    to: string,
    overwrite = false,
  ): Promise<FileEntry> {
    const server = await this.access.server(actor, serverId, 'write');
    const source = this.access.resolve(server, from, true);
    const target = this.access.resolve(server, to, true);
    if (source === target)
      throw new DomainError('FILE_EXISTS', 'The source and the destination are the same.');
    await this.deps.files.rename(serverId, source, target, overwrite);
    return this.stat(actor, serverId, target);
  }

  async copy(actor: Actor, serverId: string, from: string, to: string): Promise<FileEntry> {
    const server = await this.access.server(actor, serverId, 'write');
    const source = this.access.resolve(server, from, false);
    const target = this.access.resolve(server, to, true);
    await this.deps.files.copy(serverId, source, target);
    return this.stat(actor, serverId, target);
  }

  /** Moves the entry to the server's trash (restorable for 7 days). */
  async delete(actor: Actor, serverId: string, input: string): Promise<TrashItem> {
    const server = await this.access.server(actor, serverId, 'delete');
    const rel = this.access.resolve(server, input, true);
    return this.writes.run(`${serverId}:${rel}`, () => this.trash.put(serverId, rel, actor.userId));
  }

  async listTrash(actor: Actor, serverId: string): Promise<TrashItem[]> {
    await this.access.server(actor, serverId, 'list');
    return this.trash.list(serverId);
  }

  async restore(actor: Actor, serverId: string, itemId: string, to?: string): Promise<TrashItem> {
    const server = await this.access.server(actor, serverId, 'restore');
    const target = to === undefined ? undefined : this.access.resolve(server, to, true);
    if (target === undefined) {
      // The recorded path is checked again: the deny list may protect it by now.
      const item = (await this.trash.list(serverId)).find((i) => i.id === itemId);
      if (item) this.access.resolve(server, item.path, true);
    }
    return this.trash.restore(serverId, itemId, target);
  }

  async purge(actor: Actor, serverId: string, itemId: string): Promise<void> {
    await this.access.server(actor, serverId, 'purge');
    await this.trash.purge(serverId, itemId);
  }

  async chmod(actor: Actor, serverId: string, input: string, mode: number): Promise<FileEntry> {
    const server = await this.access.server(actor, serverId, 'chmod');
    const rel = this.access.resolve(server, input, true);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777)
      throw new DomainError('VALIDATION_FAILED', 'mode is three octal digits (000–777).', { field: 'mode' });
    // Without read and write for the owner the game (and the platform) could no longer use the file.
    if ((mode & 0o600) !== 0o600)
      throw new DomainError(
        'VALIDATION_FAILED',
        'The owner must keep read and write permission (6xx or 7xx).',
        {
          field: 'mode',
        },
      );
    await this.deps.files.chmod(serverId, rel, mode);
    return this.stat(actor, serverId, rel);
  }

  async search(
    actor: Actor,
    serverId: string,
    query: Omit<SearchQuery, 'root'> & { path?: string },
  ): Promise<SearchResult> {
    const server = await this.access.server(actor, serverId, 'search');
    const root = this.access.resolve(server, query.path ?? '', false);
    return searchFiles(this.deps.files, serverId, {
      ...query,
      root,
      skip: (rel) => fileProtection(server.distribution, rel) === 'hidden',
    });
  }
}
