import { createHash } from 'node:crypto';
import type { Database } from '@minefleet/db/database';
import type { FileProtection } from '@minefleet/domain/file-paths';
import type { Permission } from '@minefleet/domain/permissions';
import type { DirEntry, ServerFiles } from '@minefleet/domain/ports/server-files';
import type { Actor } from '../actor.js';
import type { ServerRecord } from '../server-record.js';
import type { ArchiveFormat, ExtractLimits } from './file-archives.js';
import type { TextEncoding } from './text-encoding.js';
import type { StorageMeter } from '../storage/storage-room.js';

/** The records, limits and permissions of the files service (docs/files.md). */

/** Largest file the editor opens and saves as text; bigger files are downloaded and uploaded. */
export const MAX_EDIT_BYTES = 16 * 1024 * 1024;
/** Largest folder page. */
export const MAX_PAGE = 1000;

export const FILE_SORTS = ['name', '-name', 'size', '-size', 'mtime', '-mtime', 'type', '-type'] as const;
export type FileSort = (typeof FILE_SORTS)[number];

/**
 * The permission each file action needs (docs/files.md): file.read looks, file.write changes, file.purge
 * empties the trash for good; saving server.properties is a settings change (settings.update, checked by
 * the configuration manager).
 */
export const FILE_PERMISSIONS = {
  list: 'file.read',
  read: 'file.read',
  search: 'file.read',
  download: 'file.read',
  write: 'file.write',
  upload: 'file.write',
  delete: 'file.write',
  restore: 'file.write',
  chmod: 'file.write',
  archive: 'file.write',
  purge: 'file.purge',
} as const satisfies Record<string, Permission>;

export type FileAction = keyof typeof FILE_PERMISSIONS;

export interface FileEntry {
  name: string;
  path: string;
  type: DirEntry['type'];
  size: number;
  mtimeMs: number;
  mode: number;
  protection: FileProtection | null;
}

export interface FileListing {
  path: string;
  entries: FileEntry[];
  total: number;
}

export interface TextFile {
  path: string;
  size: number;
  mtimeMs: number;
  etag: string;
  /** Null for a binary file (download it instead). */
  content: string | null;
  encoding: TextEncoding | null;
}

/** A download, checked; `open()` starts the bytes. */
export type Download =
  | { kind: 'file'; path: string; size: number; open(): AsyncIterable<Uint8Array> }
  | { kind: 'folder'; path: string; format: ArchiveFormat; open(): NodeJS.ReadableStream };

/** A saved text file, and whether the save created it (no file was there before). */
export interface SavedTextFile extends TextFile {
  created: boolean;
}

export interface WriteRequest {
  content: string;
  encoding?: TextEncoding | undefined;
  /** The ETag the client read (`*`: whatever is there). Required to replace an existing file. */
  ifMatch?: string | undefined;
  /** Create only: refuse when the file exists. */
  ifNoneMatch?: boolean | undefined;
}

/**
 * Files whose saves mean more than bytes (server.properties: the server's settings). `beforeWrite` runs
 * before the file is replaced and may refuse it (nothing is written then).
 */
export interface ManagedFile {
  beforeWrite(
    actor: Actor,
    server: ServerRecord,
    previous: Uint8Array | null,
    next: Uint8Array,
  ): Promise<void>;
}

export interface FilesServiceDeps {
  db: Database;
  /** The server folders (give it through `announcingChanges`, so the driver re-measures after writes). */
  files: ServerFiles;
  /** The runtime driver: how many bytes a server's files take (uploads, extractions, archives). */
  storage: StorageMeter;
  now?: () => number;
  managed?: Record<string, ManagedFile>;
  extractLimits?: ExtractLimits;
}

export function etagOf(bytes: Uint8Array): string {
  return `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
}
