import type { Distribution } from './distributions.js';
import { DomainError } from './errors.js';

/**
 * Paths in a server's folder as the files API takes them: relative to the folder, `/`-separated.
 * This is the syntactic half of keeping a path inside the folder (the adapter checks symbolic links
 * against the disk): anything that could mean "elsewhere" is refused here, before any I/O.
 */

/** Longest path (UTF-8 bytes) and name the API accepts; Linux allows 4096 / 255. */
export const MAX_PATH_BYTES = 1024;
export const MAX_NAME_BYTES = 255;
export const MAX_PATH_DEPTH = 32;

/** Control characters (NUL included): never part of a name a person typed. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const encoder = new TextEncoder();
const utf8Length = (s: string) => encoder.encode(s).length;

function invalid(input: string, reason: string): DomainError {
  return new DomainError('INVALID_PATH', `Invalid path: ${reason}.`, {
    path: input.length > 200 ? `${input.slice(0, 200)}…` : input,
    reason,
  });
}

/**
 * Normalises a user path: '' (or '.', or '/') is the folder itself; otherwise the segments joined by `/`
 * with empty and `.` segments dropped. Refuses absolute paths, `..`, backslashes, drive letters, control
 * characters and over-long paths with INVALID_PATH.
 */
export function normalizeFilePath(input: string): string {
  if (typeof input !== 'string') throw invalid(String(input), 'not a string');
  if (input === '' || input === '.' || input === '/') return '';
  if (CONTROL.test(input)) throw invalid(input, 'control character (NUL, newline, ...)');
  if (input.includes('\\')) throw invalid(input, 'backslash (use / between folders)');
  if (input.startsWith('/') || input.startsWith('~')) throw invalid(input, 'absolute path');
  if (/^[A-Za-z]:/.test(input)) throw invalid(input, 'drive letter');
  if (utf8Length(input) > MAX_PATH_BYTES) throw invalid(input, `longer than ${MAX_PATH_BYTES} bytes`);
  const segments = input.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) throw invalid(input, '".." segment');
  if (segments.length > MAX_PATH_DEPTH) throw invalid(input, `deeper than ${MAX_PATH_DEPTH} folders`);
  for (const segment of segments) {
    if (utf8Length(segment) > MAX_NAME_BYTES)
      throw invalid(input, `a name longer than ${MAX_NAME_BYTES} bytes`);
  }
  return segments.join('/');
}

/** The last segment of a normalised path ('' for the root). */
export function baseName(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? rel : rel.slice(i + 1);
}

/** The parent of a normalised path ('' for a top-level entry and for the root). */
export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

export function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

/** Whether `rel` is `ancestor` or below it. */
export function isWithin(rel: string, ancestor: string): boolean {
  return ancestor === '' || rel === ancestor || rel.startsWith(`${ancestor}/`);
}

/**
 * The platform's own folder in every server's folder (process state, console socket, launch file, and
 * the files API's trash, versions and unfinished uploads). Never listed, read or written through the API.
 */
export const PLATFORM_STATE_DIR = '.minefleet';

export type FileProtection = 'hidden' | 'read-only';

/**
 * Files the platform writes from the server's settings on every deploy or start: an edit would be
 * overwritten, so they are read-only through the files API (change them through the settings).
 */
const READ_ONLY: Record<Distribution, readonly string[]> = {
  'flying-squid': ['flying-squid.json'],
  paper: ['eula.txt'],
  purpur: ['eula.txt'],
  vanilla: ['eula.txt'],
  fabric: ['eula.txt'],
};

/** The deny list: how the platform protects `rel` (a normalised path) on a server of `distribution`. */
export function fileProtection(distribution: Distribution, rel: string): FileProtection | null {
  // Compared case-insensitively so a case-insensitive disk cannot be used to reach the same file.
  const lower = rel.toLowerCase();
  if (isWithin(lower, PLATFORM_STATE_DIR)) return 'hidden';
  if (READ_ONLY[distribution].includes(lower)) return 'read-only';
  return null;
}

/** Throws PATH_PROTECTED unless `rel` may be read (`write` false) or changed (`write` true). */
export function assertAccessible(distribution: Distribution, rel: string, write: boolean): void {
  if (rel === '' && write) {
    throw new DomainError('PATH_PROTECTED', 'The server folder itself cannot be changed.', { path: rel });
  }
  const protection = fileProtection(distribution, rel);
  if (protection === 'hidden' || (protection === 'read-only' && write)) {
    throw new DomainError(
      'PATH_PROTECTED',
      protection === 'hidden'
        ? `"${rel}" is the platform's state folder.`
        : `"${rel}" is written by the platform from the server's settings; change the settings instead.`,
      { path: rel, protection },
    );
  }
}
