import { DomainError } from '@minefleet/domain/errors';
import type { Actor } from '../actor.js';
import {
  configFormatOf,
  editConfig,
  readConfig,
  type ConfigEdit,
  type ConfigFormat,
} from './config-documents.js';
import type { FileAccess } from './file-access.js';
import {
  etagOf,
  MAX_EDIT_BYTES,
  type ManagedFile,
  type SavedTextFile,
  type TextFile,
  type WriteRequest,
} from './file-model.js';
import type { FileVersion, FileVersions } from './file-versions.js';
import type { KeyedLock } from './keyed-lock.js';
import { decodeText, encodeText, fitsEncoding, type TextEncoding } from './text-encoding.js';

/**
 * Text files as the editor sees them: read with an ETag, saved atomically only over the content that was
 * read, each save a new version (list, read, revert), and YAML/TOML values edited in place.
 */
export class TextFiles {
  constructor(
    private readonly access: FileAccess,
    private readonly versions: FileVersions,
    private readonly writes: KeyedLock,
    private readonly managed: Record<string, ManagedFile> | undefined,
  ) {}

  async read(actor: Actor, serverId: string, input: string): Promise<TextFile> {
    const server = await this.access.server(actor, serverId, 'read');
    const rel = this.access.resolve(server, input, false);
    const stat = await this.access.requireFile(serverId, rel);
    const bytes = await this.access.files.read(serverId, rel, MAX_EDIT_BYTES);
    const decoded = decodeText(bytes);
    return {
      path: rel,
      size: bytes.length,
      mtimeMs: stat.mtimeMs,
      etag: etagOf(bytes),
      content: decoded?.text ?? null,
      encoding: decoded?.encoding ?? null,
    };
  }

  /** Saves a text file (atomic; ETag-checked; a new version in its history). */
  async write(actor: Actor, serverId: string, input: string, request: WriteRequest): Promise<SavedTextFile> {
    const server = await this.access.server(actor, serverId, 'write');
    const rel = this.access.resolve(server, input, true);
    const files = this.access.files;
    return this.writes.run(`${serverId}:${rel}`, async () => {
      const stat = await files.stat(serverId, rel);
      if (stat?.type === 'directory')
        throw new DomainError('FILE_TYPE_MISMATCH', `"${rel}" is a folder.`, { path: rel });
      let previous: Uint8Array | null = null;
      if (stat) {
        if (request.ifNoneMatch)
          throw new DomainError('FILE_EXISTS', `"${rel}" already exists.`, { path: rel });
        previous = await files.read(serverId, rel, MAX_EDIT_BYTES);
        const current = etagOf(previous);
        if (request.ifMatch === undefined) {
          throw new DomainError(
            'FILE_CHANGED',
            `"${rel}" exists: send If-Match with the ETag you read (or * to replace it whatever it holds).`,
            { path: rel, etag: current },
          );
        }
        if (request.ifMatch !== '*' && request.ifMatch !== current) {
          throw new DomainError('FILE_CHANGED', `"${rel}" changed since you read it; nothing was written.`, {
            path: rel,
            etag: current,
          });
        }
      }
      const encoding = request.encoding ?? (previous ? (decodeText(previous)?.encoding ?? 'utf-8') : 'utf-8');
      if (!fitsEncoding(request.content, encoding)) {
        throw new DomainError('VALIDATION_FAILED', `The text has characters ${encoding} cannot hold.`, {
          field: 'encoding',
        });
      }
      const bytes = encodeText(request.content, encoding);
      if (bytes.length > MAX_EDIT_BYTES) {
        throw new DomainError(
          'FILE_TOO_LARGE',
          `Text files are edited up to ${MAX_EDIT_BYTES} bytes; upload it.`,
          {
            limit: MAX_EDIT_BYTES,
          },
        );
      }
      await this.managed?.[rel]?.beforeWrite(actor, server, previous, bytes);
      const saved = await files.write(serverId, rel, bytes);
      await this.versions.record(serverId, rel, previous, bytes, actor.userId);
      return {
        path: rel,
        size: bytes.length,
        mtimeMs: saved.mtimeMs,
        etag: etagOf(bytes),
        content: request.content,
        encoding,
        created: stat === null,
      };
    });
  }

  async listVersions(actor: Actor, serverId: string, input: string): Promise<FileVersion[]> {
    const server = await this.access.server(actor, serverId, 'read');
    return this.versions.list(serverId, this.access.resolve(server, input, false));
  }

  async versionContent(
    actor: Actor,
    serverId: string,
    input: string,
    version: number,
  ): Promise<{ version: number; content: string | null; encoding: TextEncoding | null; etag: string }> {
    const server = await this.access.server(actor, serverId, 'read');
    const rel = this.access.resolve(server, input, false);
    const bytes = await this.versions.content(serverId, rel, version, MAX_EDIT_BYTES);
    const decoded = decodeText(bytes);
    return {
      version,
      content: decoded?.text ?? null,
      encoding: decoded?.encoding ?? null,
      etag: etagOf(bytes),
    };
  }

  /** Writes a saved version back (as a new save: ETag-checked like any save, and itself a new version). */
  async revert(
    actor: Actor,
    serverId: string,
    input: string,
    version: number,
    ifMatch: string | undefined,
  ): Promise<TextFile> {
    const old = await this.versionContent(actor, serverId, input, version);
    if (old.content === null || old.encoding === null)
      throw new DomainError('FILE_TYPE_MISMATCH', 'This version is not text.', { version });
    return this.write(actor, serverId, input, {
      content: old.content,
      encoding: old.encoding,
      ifMatch: ifMatch ?? '*',
    });
  }

  private configFormat(rel: string): ConfigFormat {
    const format = configFormatOf(rel);
    if (!format)
      throw new DomainError('VALIDATION_FAILED', 'Structured editing is for .yml, .yaml and .toml files.', {
        field: 'path',
      });
    return format;
  }

  /** A YAML or TOML file's values, with the ETag to send back with an edit. */
  async readConfig(
    actor: Actor,
    serverId: string,
    input: string,
  ): Promise<{ path: string; format: ConfigFormat; etag: string; values: unknown }> {
    const file = await this.read(actor, serverId, input);
    const format = this.configFormat(file.path);
    if (file.content === null)
      throw new DomainError('FILE_TYPE_MISMATCH', 'The file is not text.', { path: file.path });
    return { path: file.path, format, etag: file.etag, values: readConfig(file.content, format) };
  }

  /**
   * Changes values of a YAML or TOML file in place (every other byte kept), as a normal save: atomic,
   * ETag-checked, a new version.
   */
  async editConfig(
    actor: Actor,
    serverId: string,
    input: string,
    edits: ConfigEdit[],
    ifMatch: string | undefined,
  ): Promise<{ path: string; format: ConfigFormat; etag: string; values: unknown; changed: boolean }> {
    const server = await this.access.server(actor, serverId, 'write');
    const rel = this.access.resolve(server, input, true);
    const format = this.configFormat(rel);
    const file = await this.read(actor, serverId, rel);
    if (file.content === null || file.encoding === null)
      throw new DomainError('FILE_TYPE_MISMATCH', 'The file is not text.', { path: rel });
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== file.etag) {
      throw new DomainError('FILE_CHANGED', `"${rel}" changed since you read it; nothing was written.`, {
        path: rel,
        etag: file.etag,
      });
    }
    const next = editConfig(file.content, format, edits);
    if (next === file.content) {
      return { path: rel, format, etag: file.etag, values: readConfig(next, format), changed: false };
    }
    const saved = await this.write(actor, serverId, rel, {
      content: next,
      encoding: file.encoding,
      ifMatch: file.etag,
    });
    return { path: rel, format, etag: saved.etag, values: readConfig(next, format), changed: true };
  }
}
