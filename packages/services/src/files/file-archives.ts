import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import tar from 'tar-stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { DomainError } from '@minefleet/domain/errors';
import { joinPath, normalizeFilePath, PLATFORM_STATE_DIR } from '@minefleet/domain/file-paths';
import type { ServerFiles } from '@minefleet/domain/ports/server-files';

export const ARCHIVE_FORMATS = ['tar.gz', 'zip'] as const;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

/** What an extraction may produce: a zip bomb or a million tiny files is refused, nothing written. */
export interface ExtractLimits {
  maxBytes: number;
  maxEntries: number;
  /** Largest expanded / compressed ratio of the whole archive. */
  maxRatio: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = {
  maxBytes: 512 * 1024 * 1024,
  maxEntries: 20_000,
  maxRatio: 100,
};

const STAGING_DIR = `${PLATFORM_STATE_DIR}/files/extract`;

function unsafe(reason: string, details: Record<string, unknown> = {}): DomainError {
  return new DomainError('ARCHIVE_UNSAFE', `The archive was refused: ${reason}. Nothing was written.`, {
    reason,
    ...details,
  });
}

export function archiveFormatOf(name: string): ArchiveFormat | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  return null;
}

/** Every file and folder below `rel` (depth first), skipping what `skip` says. */
async function* walk(
  files: ServerFiles,
  serverId: string,
  rel: string,
  skip: (rel: string) => boolean,
): AsyncIterable<{ rel: string; type: 'file' | 'directory'; size: number; mtimeMs: number; mode: number }> {
  const entries = await files.list(serverId, rel);
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const child = joinPath(rel, entry.name);
    if (skip(child)) continue;
    // Links are left out: followed they could reach outside, kept they would point elsewhere on restore.
    if (entry.type === 'directory') {
      yield { rel: child, type: 'directory', size: 0, mtimeMs: entry.mtimeMs, mode: entry.mode };
      yield* walk(files, serverId, child, skip);
    } else if (entry.type === 'file') {
      yield { rel: child, type: 'file', size: entry.size, mtimeMs: entry.mtimeMs, mode: entry.mode };
    }
  }
}

/** The folder at `rel` as a stream of a tar.gz or zip archive, names relative to the folder's parent. */
export function packFolder(
  files: ServerFiles,
  serverId: string,
  rel: string,
  format: ArchiveFormat,
  skip: (rel: string) => boolean,
): Readable {
  const base = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '';
  const nameOf = (child: string) => child.slice(base.length);
  const out = new PassThrough();
  if (format === 'zip') {
    const zip = new yazl.ZipFile();
    zip.outputStream.pipe(out);
    void (async () => {
      try {
        if (rel) zip.addEmptyDirectory(nameOf(rel), {});
        for await (const e of walk(files, serverId, rel, skip)) {
          const options = {
            mtime: new Date(e.mtimeMs),
            mode: e.mode | (e.type === 'directory' ? 0o40000 : 0o100000),
          };
          if (e.type === 'directory') zip.addEmptyDirectory(nameOf(e.rel), options);
          else zip.addReadStream(Readable.from(files.readStream(serverId, e.rel)), nameOf(e.rel), options);
        }
        zip.end();
      } catch (error) {
        out.destroy(error as Error);
      }
    })();
    return out;
  }
  const pack = tar.pack();
  pack.pipe(createGzip({ level: 6 })).pipe(out);
  void (async () => {
    try {
      if (rel) pack.entry({ name: nameOf(rel), type: 'directory', mode: 0o755 });
      for await (const e of walk(files, serverId, rel, skip)) {
        const header = { name: nameOf(e.rel), mode: e.mode, mtime: new Date(e.mtimeMs) };
        if (e.type === 'directory') {
          pack.entry({ ...header, type: 'directory' });
          continue;
        }
        const sink = pack.entry({ ...header, type: 'file', size: e.size });
        await new Promise<void>((resolve, reject) => {
          Readable.from(files.readStream(serverId, e.rel, 0, e.size))
            .on('error', reject)
            .pipe(sink);
          sink.on('finish', resolve).on('error', reject);
        });
      }
      pack.finalize();
    } catch (error) {
      out.destroy(error as Error);
    }
  })();
  return out;
}

/** An entry's name as a path inside the destination, or `problem`. */
function checkedName(raw: string, problem: (name: string) => DomainError): string {
  if (raw.includes('\\')) throw problem(raw);
  let rel: string;
  try {
    rel = normalizeFilePath(raw.replace(/\/+$/, ''));
  } catch {
    throw problem(raw);
  }
  if (rel === '') throw problem(raw);
  if (rel.toLowerCase().split('/')[0] === PLATFORM_STATE_DIR) throw problem(raw);
  return rel;
}

interface Budget {
  bytes: number;
  entries: number;
}

function spend(
  budget: Budget,
  limits: ExtractLimits,
  compressedBytes: number,
  bytes: number,
  entries: number,
) {
  budget.bytes += bytes;
  budget.entries += entries;
  if (budget.entries > limits.maxEntries)
    throw unsafe(`more than ${limits.maxEntries} entries`, { limit_entries: limits.maxEntries });
  if (budget.bytes > limits.maxBytes)
    throw unsafe(`expands beyond ${limits.maxBytes} bytes`, { limit_bytes: limits.maxBytes });
  if (budget.bytes > Math.max(compressedBytes, 1) * limits.maxRatio && budget.bytes > 1024 * 1024)
    throw unsafe(`expands more than ${limits.maxRatio} times its size`, { limit_ratio: limits.maxRatio });
}

/**
 * Extracts the archive at `archive` into the folder `dest`: first into a staging folder in the state
 * folder, checked entry by entry (names stay inside, no links or devices, size, entry count and ratio
 * within `limits`), then moved into place; on any refusal the staging folder is removed and nothing at
 * `dest` changed. Entries that already exist at `dest` are refused before anything moves.
 */
export async function extractArchive(
  files: ServerFiles,
  serverId: string,
  archive: string,
  dest: string,
  limits: ExtractLimits = DEFAULT_EXTRACT_LIMITS,
): Promise<{ entries: number; bytes: number }> {
  const stat = await files.stat(serverId, archive);
  if (!stat || stat.type !== 'file')
    throw new DomainError('FILE_NOT_FOUND', `No archive at "${archive}".`, { path: archive });
  const format = archiveFormatOf(archive);
  if (!format)
    throw new DomainError('VALIDATION_FAILED', 'Only .zip, .tar.gz and .tgz archives can be extracted.', {
      field: 'path',
    });
  const staging = `${STAGING_DIR}/${randomUUID()}`;
  await files.mkdir(serverId, staging);
  const budget: Budget = { bytes: 0, entries: 0 };
  const tops = new Set<string>();
  try {
    const write = async (rel: string, body: AsyncIterable<Uint8Array>) => {
      tops.add(rel.split('/')[0]!);
      await files.write(serverId, `${staging}/${rel}`, body, { maxBytes: limits.maxBytes });
    };
    const mkdir = async (rel: string) => {
      tops.add(rel.split('/')[0]!);
      await files.mkdir(serverId, `${staging}/${rel}`);
    };
    if (format === 'zip') await extractZip(files, serverId, archive, stat.size, limits, budget, write, mkdir);
    else await extractTarGz(files, serverId, archive, stat.size, limits, budget, write, mkdir);
    for (const top of tops) {
      if (await files.stat(serverId, joinPath(dest, top))) {
        throw new DomainError(
          'FILE_EXISTS',
          `"${joinPath(dest, top)}" already exists; nothing was extracted.`,
          {
            path: joinPath(dest, top),
          },
        );
      }
    }
    for (const top of tops) await files.rename(serverId, `${staging}/${top}`, joinPath(dest, top));
    return { entries: budget.entries, bytes: budget.bytes };
  } finally {
    await files.remove(serverId, staging).catch(() => {});
  }
}

/** Counts bytes of an entry as they are read, against the whole archive's budget. */
async function* counted(
  source: AsyncIterable<Uint8Array>,
  budget: Budget,
  limits: ExtractLimits,
  compressed: number,
): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    spend(budget, limits, compressed, chunk.length, 0);
    yield chunk;
  }
}

async function extractTarGz(
  files: ServerFiles,
  serverId: string,
  archive: string,
  compressed: number,
  limits: ExtractLimits,
  budget: Budget,
  write: (rel: string, body: AsyncIterable<Uint8Array>) => Promise<void>,
  mkdir: (rel: string) => Promise<void>,
): Promise<void> {
  const extract = tar.extract();
  const source = Readable.from(files.readStream(serverId, archive));
  const gunzip = createGunzip();
  source.on('error', (e) => extract.destroy(e));
  gunzip.on('error', (e) => extract.destroy(unsafe(`not a gzip archive (${e.message})`)));
  source.pipe(gunzip).pipe(extract);
  for await (const entry of extract) {
    const header = entry.header;
    const rel = checkedName(header.name, (n) =>
      unsafe('an entry leaves the destination folder', { entry: n }),
    );
    spend(budget, limits, compressed, 0, 1);
    if (header.type === 'directory') {
      await mkdir(rel);
      entry.resume();
    } else if (header.type === 'file' || header.type === 'contiguous-file') {
      await write(rel, counted(entry as AsyncIterable<Uint8Array>, budget, limits, compressed));
    } else {
      entry.resume();
      throw unsafe(`entry "${header.name}" is a ${header.type ?? 'special entry'}`, { entry: header.name });
    }
  }
}

function openZip(
  files: ServerFiles,
  serverId: string,
  archive: string,
  size: number,
): Promise<yauzl.ZipFile> {
  class Reader extends yauzl.RandomAccessReader {
    override _readStreamForRange(start: number, end: number) {
      return Readable.from(files.readStream(serverId, archive, start, end));
    }
  }
  return new Promise((resolve, reject) => {
    yauzl.fromRandomAccessReader(
      new Reader(),
      size,
      {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: true,
        validateEntrySizes: true,
        strictFileNames: true,
      },
      (error, zip) => (error ? reject(unsafe(`not a readable zip (${error.message})`)) : resolve(zip)),
    );
  });
}

async function zipEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (error: Error) => reject(unsafe(`not a readable zip (${error.message})`)));
    zip.readEntry();
  });
}

async function extractZip(
  files: ServerFiles,
  serverId: string,
  archive: string,
  compressed: number,
  limits: ExtractLimits,
  budget: Budget,
  write: (rel: string, body: AsyncIterable<Uint8Array>) => Promise<void>,
  mkdir: (rel: string) => Promise<void>,
): Promise<void> {
  let zip: yauzl.ZipFile;
  let entries: yauzl.Entry[];
  try {
    zip = await openZip(files, serverId, archive, compressed);
    entries = await zipEntries(zip);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw unsafe(`not a readable zip (${(error as Error).message})`);
  }
  // The central directory tells everything up front: refuse before writing a single byte.
  const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (entries.length > limits.maxEntries)
    throw unsafe(`more than ${limits.maxEntries} entries`, { limit_entries: limits.maxEntries });
  if (declared > limits.maxBytes)
    throw unsafe(`expands to ${declared} bytes, beyond ${limits.maxBytes}`, { limit_bytes: limits.maxBytes });
  if (declared > 1024 * 1024 && declared > Math.max(compressed, 1) * limits.maxRatio)
    throw unsafe(`expands ${Math.round(declared / compressed)} times its size`, {
      limit_ratio: limits.maxRatio,
    });
  const plan = entries.map((entry) => {
    const rel = checkedName(entry.fileName, (n) =>
      unsafe('an entry leaves the destination folder', { entry: n }),
    );
    const unixMode = (entry.externalFileAttributes >>> 16) & 0o170000;
    const isDir = entry.fileName.endsWith('/');
    if (!isDir && unixMode !== 0 && unixMode !== 0o100000 && unixMode !== 0o040000)
      throw unsafe(`entry "${entry.fileName}" is a link or a special file`, { entry: entry.fileName });
    return { entry, rel, isDir: isDir || unixMode === 0o040000 };
  });
  try {
    await extractEntries(zip, plan, compressed, limits, budget, write, mkdir);
  } finally {
    zip.close();
  }
}

async function extractEntries(
  zip: yauzl.ZipFile,
  plan: { entry: yauzl.Entry; rel: string; isDir: boolean }[],
  compressed: number,
  limits: ExtractLimits,
  budget: Budget,
  write: (rel: string, body: AsyncIterable<Uint8Array>) => Promise<void>,
  mkdir: (rel: string) => Promise<void>,
): Promise<void> {
  for (const { entry, rel, isDir } of plan) {
    spend(budget, limits, compressed, 0, 1);
    if (isDir) {
      await mkdir(rel);
      continue;
    }
    const stream = await new Promise<Readable>((resolve, reject) =>
      zip.openReadStream(entry, (error, s) => (error ? reject(unsafe(error.message)) : resolve(s))),
    );
    await write(rel, counted(stream, budget, limits, compressed));
  }
}
