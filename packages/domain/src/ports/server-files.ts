/**
 * The files of a server's folder, as the files service reaches them: the local adapter works on the
 * disk (@minefleet/runtime-local/local-server-files); a Kubernetes adapter will reach the pod's volume.
 *
 * Paths are normalised relative paths (`normalizeFilePath` in @minefleet/domain/file-paths; '' is the
 * folder itself). An adapter refuses, with PATH_OUTSIDE_SERVER, any path whose resolution leaves the
 * folder through a symbolic link, and never follows a link for a write. Missing paths answer
 * FILE_NOT_FOUND, a file where a folder is needed (or the reverse) FILE_TYPE_MISMATCH.
 */
export interface ServerFiles {
  /** What is at `rel` (a link is reported as a link, not followed); null when nothing is there. */
  stat(serverId: string, rel: string): Promise<FileStat | null>;
  /** The entries of the folder at `rel`, unsorted. */
  list(serverId: string, rel: string): Promise<DirEntry[]>;
  /**
   * The names and types of the folder's entries, unsorted, without reading each entry's size and time:
   * a big folder is sorted by name this way and only the page shown is stat'ed (`statEntries`).
   */
  listNames(serverId: string, rel: string): Promise<DirName[]>;
  /** The named entries of the folder at `rel`, in the order given; names gone meanwhile are left out. */
  statEntries(serverId: string, rel: string, names: readonly string[]): Promise<DirEntry[]>;
  /** The whole file, refused with FILE_TOO_LARGE above `maxBytes`. */
  read(serverId: string, rel: string, maxBytes: number): Promise<Uint8Array>;
  /** The file's bytes from `start` (inclusive) to `end` (exclusive; default: the end). */
  readStream(serverId: string, rel: string, start?: number, end?: number): AsyncIterable<Uint8Array>;
  /**
   * Replaces (or creates) the file at `rel` atomically: temporary file in the same folder, fsync, rename,
   * fsync of the folder. A reader, or a crash at any moment, sees the old content or the new, never a mix.
   * Parent folders are created. `maxBytes` bounds a streamed body (FILE_TOO_LARGE, nothing written).
   */
  write(
    serverId: string,
    rel: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options?: WriteOptions,
  ): Promise<FileStat>;
  /** Writes `data` at `offset` of an existing file (resumable uploads), fsyncs, returns the new size. */
  writeAt(
    serverId: string,
    rel: string,
    offset: number,
    data: AsyncIterable<Uint8Array>,
    maxBytes: number,
  ): Promise<number>;
  /** Creates the folder (and its parents); FILE_EXISTS if a file is there. */
  mkdir(serverId: string, rel: string): Promise<void>;
  /** Moves `from` to `to` (same server); FILE_EXISTS when `to` exists and `overwrite` is not set. */
  rename(serverId: string, from: string, to: string, overwrite?: boolean): Promise<void>;
  /** Copies a file or a folder (recursively; links are copied as links). FILE_EXISTS when `to` exists. */
  copy(serverId: string, from: string, to: string): Promise<void>;
  /** Removes a file or a folder with everything below it. */
  remove(serverId: string, rel: string): Promise<void>;
  /** Sets the permission bits (0o000–0o777) of a file or folder. */
  chmod(serverId: string, rel: string, mode: number): Promise<void>;
}

export type FileType = 'file' | 'directory' | 'symlink' | 'other';

export interface FileStat {
  type: FileType;
  size: number;
  mtimeMs: number;
  /** Permission bits (0o000–0o777). */
  mode: number;
}

export interface DirEntry extends FileStat {
  name: string;
}

export interface DirName {
  name: string;
  type: FileType;
}

export interface WriteOptions {
  /** Permission bits of a new file (an existing file keeps its own). */
  mode?: number;
  maxBytes?: number;
  /** Refuse with FILE_EXISTS when something is already at `rel`. */
  exclusive?: boolean;
}
