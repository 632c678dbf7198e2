import picomatch from 'picomatch';

/**
 * What a backup leaves out by default, as globs on the path relative to the server folder (POSIX
 * separators; a matching directory is skipped whole). Everything here is re-created or re-downloaded by
 * the server or the runtime, or is history rather than state: logs, caches, the server jar(s) at the top
 * level (plugin and mod jars under plugins/ and mods/ ARE kept), Paper's/Vanilla's unpacked libraries,
 * and the lock file a running server holds on its world.
 */
export const DEFAULT_BACKUP_EXCLUDES: readonly string[] = [
  'logs',
  'cache',
  'libraries',
  'versions',
  'bundler',
  '*.jar',
  'plugins/.paper-remapped',
  '**/session.lock',
  '**/*.sock',
];

export type PathMatcher = (relativePath: string) => boolean;

/** A predicate over relative POSIX paths; dot files are matched like any other. */
export function pathMatcher(patterns: readonly string[]): PathMatcher {
  if (patterns.length === 0) return () => false;
  return picomatch([...patterns], { dot: true });
}
