import type { ArchiveOptions, ArchiveStream, RestoreOptions, RestoreResult } from './archive-engine.js';

/**
 * A server's files as backups and restores need them: archived out and restored in with the archive
 * engine, wherever the files are. On this machine (the local runtime) that is the engine on the server's
 * folder; on Kubernetes the in-pod agent runs the same engine on the world volume, and a stopped server
 * gets a maintenance pod (the agent without the game) for as long as the work takes.
 */
export interface ServerArchives {
  /**
   * Runs `work` with the server's files reachable. The caller decides whether the game may run meanwhile
   * (a hot backup pauses its saving; a restore stops it first).
   */
  use<T>(serverId: string, work: (files: ArchivableFiles) => Promise<T>): Promise<T>;

  /**
   * Finishes or undoes a restore a killed process left half-done (at boot, before servers start); what it
   * did. On Kubernetes the game image does this itself each time a pod starts, so nothing is left here.
   */
  recoverInterruptedRestore(serverId: string): Promise<string[]>;
}

/** One server's files, for the while of a `ServerArchives.use`. */
export interface ArchivableFiles {
  /** Paths (globs relative to the server's folder) of the runtime's own files: never archived, kept on restore. */
  readonly excludes: readonly string[];
  /** Bytes of the regular files a backup would read (for progress as a fraction). */
  measure(): Promise<number>;
  /** The archive of the server's folder (the engine's default excludes and `excludes` left out). */
  archive(options: Omit<ArchiveOptions, 'exclude'>): ArchiveStream;
  /** Replaces the server's folder with the archive's contents (ArchiveEngine.restore; `excludes` kept). */
  restore(
    source: AsyncIterable<Uint8Array>,
    options: Omit<RestoreOptions, 'preserve'>,
  ): Promise<RestoreResult>;
}
