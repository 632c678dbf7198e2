import { lstat } from 'node:fs/promises';
import type { ArchiveEngine } from '@minefleet/domain/ports/archive-engine';
import { archiveExtension } from './codec.js';
import { createArchive } from './create-archive.js';
import { DEFAULT_BACKUP_EXCLUDES, pathMatcher } from './excludes.js';
import { recoverInterruptedRestore, restoreInto } from './restore-into.js';
import { walkFolder } from './walk.js';

/**
 * The engine of this package behind the ArchiveEngine port, for the backup service. Callers' excludes
 * are added to DEFAULT_BACKUP_EXCLUDES (never replace them): the runtime knows its own files
 * (`.minefleet`), the engine knows the game's caches and jars.
 */
export const tarArchiveEngine: ArchiveEngine = {
  archive(root, options) {
    const archive = createArchive(root, {
      compression: options.compression,
      exclude: [...DEFAULT_BACKUP_EXCLUDES, ...options.exclude],
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return archive;
  },

  async restore(root, source, options) {
    const summary = await restoreInto(root, source, {
      compression: options.compression,
      ...(options.expectedSha256 ? { expectedSha256: options.expectedSha256 } : {}),
      preserve: [...DEFAULT_BACKUP_EXCLUDES, ...options.preserve],
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    });
    return { sha256: summary.sha256, sizeBytes: summary.sizeBytes, files: summary.files };
  },

  recoverInterruptedRestore,

  extension: archiveExtension,

  async measure(root, exclude) {
    let total = 0;
    try {
      for await (const entry of walkFolder(
        root,
        pathMatcher([...DEFAULT_BACKUP_EXCLUDES, ...exclude]),
        () => undefined,
      )) {
        if (entry.type !== 'file') continue;
        total += await lstat(entry.absolute).then(
          (s) => s.size,
          () => 0, // gone since the listing: the archive will skip it too
        );
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    return total;
  },
};
