import path from 'node:path';
import { DomainError } from '@minefleet/domain/errors';

/**
 * Rules that keep an archive's entries inside the folder they are extracted into. An entry that breaks
 * one is a hostile or broken archive: restoring it is refused as BACKUP_CORRUPT, never "fixed up".
 */
export type UnsafeReason =
  | 'empty-name'
  | 'nul-byte'
  | 'absolute-path'
  | 'parent-traversal'
  | 'backslash'
  | 'name-too-long'
  | 'link-outside'
  | 'link-absolute'
  | 'link-target-missing'
  | 'path-through-symlink'
  | 'unsupported-type'
  | 'type-conflict';

const MAX_PATH_BYTES = 4096;

export function unsafeEntry(entry: string, reason: UnsafeReason): DomainError {
  return new DomainError('BACKUP_CORRUPT', `Archive entry refused (${reason}): ${JSON.stringify(entry)}`, {
    entry,
    reason,
  });
}

/**
 * The entry's path relative to the target folder, normalised (`./a//b/` → `a/b`), or '' for the folder
 * itself. Refuses absolute paths (POSIX, drive letters, UNC), `..` anywhere, NUL and backslashes (a
 * Windows separator that a later tool could interpret differently).
 */
export function safeEntryPath(name: string): string {
  if (name.includes('\0')) throw unsafeEntry(name, 'nul-byte');
  if (Buffer.byteLength(name, 'utf8') > MAX_PATH_BYTES) throw unsafeEntry(name, 'name-too-long');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw unsafeEntry(name, 'absolute-path');
  if (name.includes('\\')) throw unsafeEntry(name, 'backslash');
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw unsafeEntry(name, 'parent-traversal');
  return segments.join('/');
}

/**
 * Checks a symlink's target lexically: relative, and resolving (from the link's folder) to a path inside
 * the target folder other than the folder itself. Extraction also checks the real path once every link
 * exists, which catches chains of links that a lexical check cannot see.
 */
export function checkSymlinkTarget(linkRelative: string, target: string): void {
  if (target === '' || target.includes('\0')) throw unsafeEntry(linkRelative, 'link-outside');
  if (path.posix.isAbsolute(target) || /^[A-Za-z]:/.test(target) || target.includes('\\')) {
    throw unsafeEntry(linkRelative, 'link-absolute');
  }
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkRelative), target));
  if (resolved === '.' || resolved === '..' || resolved.startsWith('../')) {
    throw unsafeEntry(linkRelative, 'link-outside');
  }
}

/** True when `candidate` is `root` or below it (both absolute and already resolved). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
