import type { Stats } from 'node:fs';
import { DomainError } from '@minefleet/domain/errors';
import type { FileStat, FileType } from '@minefleet/domain/ports/server-files';

/** What the file system answers, in the files API's terms: entry kinds, stats and error codes. */

export function typeOf(stats: Stats): FileType {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFile()) return 'file';
  return 'other';
}

export function toStat(stats: Stats): FileStat {
  return { type: typeOf(stats), size: stats.size, mtimeMs: stats.mtimeMs, mode: stats.mode & 0o777 };
}

export function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export function notFound(rel: string): DomainError {
  return new DomainError('FILE_NOT_FOUND', `Nothing at "${rel}".`, { path: rel });
}

/** Turns the file system's errors into the files API's codes. */
export function translate(error: unknown, rel: string): unknown {
  switch (code(error)) {
    case 'ENOENT':
      return notFound(rel);
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new DomainError('FILE_EXISTS', `Something is already at "${rel}".`, { path: rel });
    case 'ENOTDIR':
    case 'EISDIR':
      return new DomainError('FILE_TYPE_MISMATCH', `"${rel}" is not the kind of entry this needs.`, {
        path: rel,
      });
    case 'ENAMETOOLONG':
      return new DomainError('INVALID_PATH', 'Invalid path: too long for the disk.', { path: rel });
    case 'ELOOP':
      return new DomainError('PATH_OUTSIDE_SERVER', `"${rel}" goes through a loop of links.`, { path: rel });
    default:
      return error;
  }
}
