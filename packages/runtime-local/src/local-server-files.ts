import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import {
  chmod,
  cp,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  rm,
  stat,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { DomainError } from '@minefleet/domain/errors';
import type {
  DirEntry,
  DirName,
  FileStat,
  ServerFiles,
  WriteOptions,
} from '@minefleet/domain/ports/server-files';
import { readNames, statNames } from './folder-entries.js';
import { writeStreamAt } from './positional-writer.js';
import { code, notFound, toStat, translate } from './file-system-errors.js';
import { STATE_DIR } from './server-folder.js';

/** Temporary files of atomic writes: in the server's state folder, so a crash leaves none in view. */
const TMP_DIR = path.join(STATE_DIR, 'files', 'tmp');

/**
 * The files of servers on this machine's disk (each server's folder from `rootOf`). Containment is
 * checked against the real path of the folder: every existing ancestor of a path is resolved with
 * realpath and must stay inside, and the final entry is followed only for reads (and then checked too).
 */
export class LocalServerFiles implements ServerFiles {
  constructor(private readonly rootOf: (serverId: string) => string) {}

  private async root(serverId: string): Promise<string> {
    const root = this.rootOf(serverId);
    await mkdir(root, { recursive: true });
    return realpath(root);
  }

  private static inside(root: string, candidate: string): boolean {
    return candidate === root || candidate.startsWith(root + path.sep);
  }

  private static outside(rel: string): DomainError {
    return new DomainError('PATH_OUTSIDE_SERVER', `"${rel}" leads out of the server's folder.`, {
      path: rel,
    });
  }

  /**
   * The real location of `rel`'s parent (its existing part resolved, links included, and checked to be
   * inside) joined with the final name, which is not followed: for writes, moves and removals.
   */
  private async entry(serverId: string, rel: string): Promise<{ root: string; full: string }> {
    const root = await this.root(serverId);
    if (rel === '') return { root, full: root };
    const segments = rel.split('/');
    const name = segments.pop()!;
    let existing = root;
    let i = 0;
    for (; i < segments.length; i++) {
      const next = path.join(existing, segments[i]!);
      let real: string;
      try {
        real = await realpath(next);
      } catch (error) {
        if (code(error) === 'ENOENT') break;
        throw translate(error, rel);
      }
      if (!LocalServerFiles.inside(root, real)) throw LocalServerFiles.outside(rel);
      existing = real;
    }
    return { root, full: path.join(existing, ...segments.slice(i), name) };
  }

  /** The real location of an existing `rel`, links followed and checked: for reads. */
  private async existing(serverId: string, rel: string): Promise<string> {
    const { root, full } = await this.entry(serverId, rel);
    let real: string;
    try {
      real = await realpath(full);
    } catch (error) {
      throw translate(error, rel);
    }
    if (!LocalServerFiles.inside(root, real)) throw LocalServerFiles.outside(rel);
    return real;
  }

  async stat(serverId: string, rel: string): Promise<FileStat | null> {
    const { full } = await this.entry(serverId, rel);
    try {
      return toStat(await lstat(full));
    } catch (error) {
      if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return null;
      throw translate(error, rel);
    }
  }

  async list(serverId: string, rel: string): Promise<DirEntry[]> {
    const dir = await this.existing(serverId, rel);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw translate(error, rel);
    }
    return statNames(dir, names);
  }

  async listNames(serverId: string, rel: string): Promise<DirName[]> {
    const dir = await this.existing(serverId, rel);
    try {
      return await readNames(dir);
    } catch (error) {
      throw translate(error, rel);
    }
  }

  async statEntries(serverId: string, rel: string, names: readonly string[]): Promise<DirEntry[]> {
    return statNames(await this.existing(serverId, rel), names);
  }

  async read(serverId: string, rel: string, maxBytes: number): Promise<Uint8Array> {
    const file = await this.existing(serverId, rel);
    let fh: FileHandle;
    try {
      fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      throw translate(error, rel);
    }
    try {
      const stats = await fh.stat();
      if (!stats.isFile()) throw translate(Object.assign(new Error(), { code: 'EISDIR' }), rel);
      if (stats.size > maxBytes) {
        throw new DomainError('FILE_TOO_LARGE', `"${rel}" is larger than ${maxBytes} bytes; download it.`, {
          path: rel,
          size: stats.size,
          limit: maxBytes,
        });
      }
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async *readStream(serverId: string, rel: string, start = 0, end?: number): AsyncIterable<Uint8Array> {
    const file = await this.existing(serverId, rel);
    const stats = await stat(file);
    if (!stats.isFile()) throw translate(Object.assign(new Error(), { code: 'EISDIR' }), rel);
    if (end !== undefined && end <= start) return;
    const stream = createReadStream(file, {
      start,
      ...(end !== undefined ? { end: end - 1 } : {}),
      // Large reads: fewer system calls and event-loop turns per byte sent (a download is one file).
      highWaterMark: 4 * 1024 * 1024,
    });
    for await (const chunk of stream) yield chunk as Buffer;
  }

  async write(
    serverId: string,
    rel: string,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<FileStat> {
    const { root, full } = await this.entry(serverId, rel);
    if (full === root) throw translate(Object.assign(new Error(), { code: 'EISDIR' }), rel);
    let mode = options.mode ?? 0o644;
    try {
      const current = await lstat(full);
      if (options.exclusive) throw translate(Object.assign(new Error(), { code: 'EEXIST' }), rel);
      if (current.isDirectory()) throw translate(Object.assign(new Error(), { code: 'EISDIR' }), rel);
      if (current.isFile()) mode = current.mode & 0o777;
    } catch (error) {
      if (code(error) !== 'ENOENT') throw error instanceof DomainError ? error : translate(error, rel);
    }
    const tmpDir = path.join(root, TMP_DIR);
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const tmp = path.join(tmpDir, `${randomBytes(8).toString('hex')}.tmp`);
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    let size = 0;
    try {
      try {
        if (data instanceof Uint8Array) {
          await fh.writeFile(data);
          size = data.length;
        } else {
          for await (const chunk of data) {
            size += chunk.length;
            if (options.maxBytes !== undefined && size > options.maxBytes) {
              throw new DomainError('FILE_TOO_LARGE', `The body is larger than ${options.maxBytes} bytes.`, {
                limit: options.maxBytes,
              });
            }
            await fh.write(chunk);
          }
        }
        // Data on disk before the rename makes it visible: a crash cannot leave a named, empty file.
        await fh.sync();
        await fh.chmod(mode);
      } finally {
        await fh.close();
      }
      try {
        await mkdir(path.dirname(full), { recursive: true });
      } catch (error) {
        throw translate(error, rel);
      }
      // The parents may have been created just now: check again that they did not lead out.
      const again = await this.entry(serverId, rel);
      if (again.full !== full) throw LocalServerFiles.outside(rel);
      try {
        await rename(tmp, full);
      } catch (error) {
        throw translate(error, rel);
      }
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    await syncFolder(path.dirname(full));
    return toStat(await lstat(full));
  }

  async writeAt(
    serverId: string,
    rel: string,
    offset: number,
    data: AsyncIterable<Uint8Array>,
    maxBytes: number,
  ): Promise<number> {
    const { full } = await this.entry(serverId, rel);
    let fh: FileHandle;
    try {
      fh = await open(full, constants.O_WRONLY | constants.O_NOFOLLOW);
    } catch (error) {
      throw translate(error, rel);
    }
    try {
      return await writeStreamAt(fh, offset, data, maxBytes);
    } finally {
      await fh.close();
    }
  }

  async mkdir(serverId: string, rel: string): Promise<void> {
    const { full } = await this.entry(serverId, rel);
    try {
      await mkdir(full, { recursive: true });
    } catch (error) {
      throw translate(error, rel);
    }
  }

  async rename(serverId: string, from: string, to: string, overwrite = false): Promise<void> {
    const source = await this.entry(serverId, from);
    const target = await this.entry(serverId, to);
    if (!(await exists(source.full))) throw notFound(from);
    if (!overwrite && (await exists(target.full)))
      throw translate(Object.assign(new Error(), { code: 'EEXIST' }), to);
    if (LocalServerFiles.inside(source.full, target.full)) {
      throw new DomainError('INVALID_PATH', 'A folder cannot be moved into itself.', { from, to });
    }
    try {
      await mkdir(path.dirname(target.full), { recursive: true });
      await rename(source.full, target.full);
    } catch (error) {
      throw translate(error, to);
    }
    await syncFolder(path.dirname(target.full));
  }

  async copy(serverId: string, from: string, to: string): Promise<void> {
    const source = await this.entry(serverId, from);
    const target = await this.entry(serverId, to);
    if (!(await exists(source.full))) throw notFound(from);
    if (await exists(target.full)) throw translate(Object.assign(new Error(), { code: 'EEXIST' }), to);
    if (LocalServerFiles.inside(source.full, target.full)) {
      throw new DomainError('INVALID_PATH', 'A folder cannot be copied into itself.', { from, to });
    }
    try {
      await mkdir(path.dirname(target.full), { recursive: true });
      await cp(source.full, target.full, {
        recursive: true,
        errorOnExist: true,
        force: false,
        verbatimSymlinks: true,
        preserveTimestamps: true,
      });
    } catch (error) {
      throw translate(error, to);
    }
  }

  async remove(serverId: string, rel: string): Promise<void> {
    const { root, full } = await this.entry(serverId, rel);
    if (full === root) throw new DomainError('PATH_PROTECTED', 'The server folder itself cannot be removed.');
    if (!(await exists(full))) throw notFound(rel);
    await rm(full, { recursive: true, force: true });
  }

  async chmod(serverId: string, rel: string, mode: number): Promise<void> {
    const file = await this.existing(serverId, rel);
    try {
      await chmod(file, mode & 0o777);
    } catch (error) {
      throw translate(error, rel);
    }
  }
}

async function exists(full: string): Promise<boolean> {
  try {
    await lstat(full);
    return true;
  } catch (error) {
    if (code(error) === 'ENOENT') return false;
    throw error;
  }
}

/** fsync of a folder: makes a rename in it durable. */
async function syncFolder(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
