import type { ArchiveEngine } from '@minefleet/domain/ports/archive-engine';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { ArchivableFiles, ServerArchives } from '@minefleet/domain/ports/server-archives';

/**
 * A server's files for backups and restores where they are a folder of this machine (the driver's
 * `workspace`): the archive engine works on the folder directly.
 */
export function localServerArchives(runtime: RuntimeDriver, engine: ArchiveEngine): ServerArchives {
  return {
    async use(serverId, work) {
      const { root, backupExcludes } = runtime.workspace(serverId);
      const files: ArchivableFiles = {
        excludes: backupExcludes,
        measure: () => engine.measure(root, backupExcludes),
        archive: (options) => engine.archive(root, { ...options, exclude: backupExcludes }),
        restore: (source, options) => engine.restore(root, source, { ...options, preserve: backupExcludes }),
      };
      return work(files);
    },
    async recoverInterruptedRestore(serverId) {
      return engine.recoverInterruptedRestore(runtime.workspace(serverId).root);
    },
  };
}

/** The driver's own (files that are not a local folder), else the engine on its local folders. */
export function serverArchivesOf(runtime: RuntimeDriver, engine: ArchiveEngine): ServerArchives {
  return runtime.archives?.() ?? localServerArchives(runtime, engine);
}
