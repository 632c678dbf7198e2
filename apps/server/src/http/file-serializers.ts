import type { FastifyRequest } from 'fastify';
import type {
  FileEntry as FileEntryRecord,
  TextFile as TextFileRecord,
} from '@minefleet/services/files/files-service';
import type { TrashItem as TrashItemRecord } from '@minefleet/services/files/file-trash';
import type { FileVersion as FileVersionRecord } from '@minefleet/services/files/file-versions';

/** The files API's answers, from the files service's records (docs/files.md). */

export function toFileEntry(e: FileEntryRecord) {
  return {
    name: e.name,
    path: e.path,
    type: e.type,
    size: e.size,
    mtime: new Date(e.mtimeMs).toISOString(),
    mode: e.mode.toString(8).padStart(3, '0'),
    protection: e.protection === 'read-only' ? ('read-only' as const) : null,
  };
}

export function toTextFile(f: TextFileRecord) {
  return {
    path: f.path,
    size: f.size,
    mtime: new Date(f.mtimeMs).toISOString(),
    etag: f.etag,
    binary: f.content === null,
    content: f.content,
    encoding: f.encoding,
  };
}

export function toTrashItem(i: TrashItemRecord) {
  return {
    id: i.id,
    path: i.path,
    type: i.type,
    size: i.size,
    deleted_at: i.deletedAt,
    expires_at: i.expiresAt,
    deleted_by: i.userId,
  };
}

export function toVersion(v: FileVersionRecord) {
  return { version: v.version, size: v.size, sha256: v.sha256, saved_at: v.savedAt, saved_by: v.userId };
}

/** Puts the file path an action was about into its audit event. */
export function audited(request: FastifyRequest, details: Record<string, unknown>): void {
  request.auditDetails = details;
}
