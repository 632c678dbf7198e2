import { DomainError } from '@minefleet/domain/errors';
import { assertAccessible, fileProtection, normalizeFilePath } from '@minefleet/domain/file-paths';
import type { Actor } from '../actor.js';
import {
  DEFAULT_EXTRACT_LIMITS,
  extractArchive,
  packFolder,
  type ArchiveFormat,
  type ExtractLimits,
} from './file-archives.js';
import type { FileAccess } from './file-access.js';
import type { Download, FileEntry } from './file-model.js';
import type { FileUploads, UploadState } from './file-uploads.js';
import type { ServerRecord } from '../server-record.js';
import { storageUsedFor, type StorageMeter } from '../storage/storage-room.js';

/**
 * Bytes in and out of a server's folder: downloads (a file, or a folder packed on the fly), archives
 * packed into the folder, extraction within limits, and resumable uploads.
 */
export class FileTransfers {
  constructor(
    private readonly access: FileAccess,
    private readonly uploads: FileUploads,
    private readonly extractLimits: ExtractLimits | undefined,
    private readonly storage: StorageMeter,
  ) {}

  /** Bytes left in the server's storage (none: confirmed by a fresh measurement). */
  private async room(server: ServerRecord): Promise<number> {
    const limit = server.storageMb * 1024 * 1024;
    return limit - (await storageUsedFor(this.storage, server.id, (used) => used >= limit));
  }

  /**
   * What a download of `input` gives: a file's bytes, or a folder packed as `format`. Checked at once
   * (access, existence); the bytes flow only when `open()` is called, so a download link can be checked
   * without reading anything.
   */
  async download(actor: Actor, serverId: string, input: string, format: ArchiveFormat): Promise<Download> {
    const server = await this.access.server(actor, serverId, 'download');
    const rel = this.access.resolve(server, input, false);
    const files = this.access.files;
    const stat = await files.stat(serverId, rel);
    if (!stat) throw new DomainError('FILE_NOT_FOUND', `Nothing at "${rel}".`, { path: rel });
    if (stat.type === 'directory') {
      const skip = (child: string) => fileProtection(server.distribution, child) === 'hidden';
      return {
        kind: 'folder',
        path: rel,
        format,
        open: () => packFolder(files, serverId, rel, format, skip),
      };
    }
    return {
      kind: 'file',
      path: rel,
      size: stat.size,
      open: () => files.readStream(serverId, rel),
    };
  }

  /** Extracts a zip or tar.gz of the server's folder into `dest` (limits, nothing written on refusal). */
  async extract(
    actor: Actor,
    serverId: string,
    archiveInput: string,
    destInput: string,
  ): Promise<{ entries: number; bytes: number }> {
    const server = await this.access.server(actor, serverId, 'archive');
    const archive = this.access.resolve(server, archiveInput, false);
    const dest = normalizeFilePath(destInput);
    if (dest !== '') assertAccessible(server.distribution, dest, true);
    const limits = {
      ...(this.extractLimits ?? DEFAULT_EXTRACT_LIMITS),
    };
    // An extraction never takes more than the room left in the server's storage.
    const room = await this.room(server);
    limits.maxBytes = Math.max(0, Math.min(limits.maxBytes, room));
    return extractArchive(this.access.files, serverId, archive, dest, limits);
  }

  /** Packs a folder into an archive file in the server's folder (atomic: complete or absent). */
  async archive(
    actor: Actor,
    serverId: string,
    input: string,
    toInput: string,
    format: ArchiveFormat,
  ): Promise<FileEntry> {
    const server = await this.access.server(actor, serverId, 'archive');
    const rel = this.access.resolve(server, input, false);
    const to = this.access.resolve(server, toInput, true);
    const source = await this.download(actor, serverId, rel, format);
    if (source.kind !== 'folder')
      throw new DomainError('FILE_TYPE_MISMATCH', `"${rel}" is not a folder.`, { path: rel });
    const body = source.open();
    const room = await this.room(server);
    await this.access.files.write(serverId, to, body as AsyncIterable<Uint8Array>, {
      exclusive: true,
      maxBytes: Math.max(0, room),
    });
    return this.access.stat(actor, serverId, to);
  }

  async createUpload(
    actor: Actor,
    serverId: string,
    input: string,
    size: number,
    overwrite: boolean,
  ): Promise<UploadState> {
    const server = await this.access.server(actor, serverId, 'upload');
    const rel = this.access.resolve(server, input, true);
    if (!Number.isSafeInteger(size) || size < 0)
      throw new DomainError('VALIDATION_FAILED', 'size is a whole number of bytes.', { field: 'size' });
    return this.uploads.create(
      serverId,
      rel,
      size,
      overwrite,
      actor.userId,
      server.storageMb * 1024 * 1024,
      this.storage,
    );
  }

  async uploadState(actor: Actor, serverId: string, uploadId: string): Promise<UploadState> {
    await this.access.server(actor, serverId, 'upload');
    return this.uploads.state(serverId, uploadId);
  }

  async appendUpload(
    actor: Actor,
    serverId: string,
    uploadId: string,
    offset: number,
    body: AsyncIterable<Uint8Array>,
  ): Promise<{ state: UploadState; complete: boolean }> {
    const server = await this.access.server(actor, serverId, 'upload');
    // Checked again with every chunk, before any byte is written: the deny list or the folder may have
    // changed since the upload began.
    return this.uploads.append(serverId, uploadId, offset, body, (path) =>
      this.access.resolve(server, path, true),
    );
  }

  async cancelUpload(actor: Actor, serverId: string, uploadId: string): Promise<void> {
    await this.access.server(actor, serverId, 'upload');
    await this.uploads.state(serverId, uploadId);
    await this.uploads.cancel(serverId, uploadId);
  }
}
