import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { Context } from './context.js';
import { downloadFileName } from './download-name.js';
import { CliError, failureOf } from './errors.js';
import { formatBytes } from './output/bytes.js';
import type { Backup } from './resolve-backup.js';

/**
 * Downloads a backup's archive to `output` (default: the file name the server offers, here; `-` for
 * stdout), hashing it on the way: a file is written as `.part` and kept only when its SHA-256 matches
 * the backup's; on stdout a mismatch fails the command after the fact.
 */
export async function downloadBackup(
  ctx: Context,
  backup: Backup,
  output: string | undefined,
): Promise<void> {
  const response = await ctx.fetch(
    new Request(`${ctx.url}/api/v1/backups/${backup.id}/download`, {
      headers: { authorization: `Bearer ${ctx.requireToken()}` },
    }),
    { timeoutMs: null },
  );
  if (!response.ok || !response.body) throw await failureOf(response);
  const target = output ?? downloadFileName(response.headers.get('content-disposition'), `${backup.id}.tar`);
  const hash = createHash('sha256');
  let bytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const source = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  if (target === '-') {
    await pipeline(source, hashing, ctx.io.stdout, { end: false });
  } else {
    const partial = `${target}.part`;
    try {
      await pipeline(source, hashing, createWriteStream(partial, { mode: 0o600 }));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    const sha256 = hash.copy().digest('hex');
    if (backup.sha256 && sha256 !== backup.sha256) {
      await rm(partial, { force: true });
      throw new CliError(`the download does not match the backup's SHA-256 (${sha256}); nothing was kept`, {
        code: 'BACKUP_CORRUPT',
      });
    }
    await rename(partial, target);
  }
  const sha256 = hash.digest('hex');
  if (target === '-') {
    if (backup.sha256 && sha256 !== backup.sha256)
      throw new CliError(`the download does not match the backup's SHA-256 (${sha256})`, {
        code: 'BACKUP_CORRUPT',
      });
    return;
  }
  ctx.result(
    { file: path.resolve(target), size_bytes: bytes, sha256 },
    () => `Saved ${target} (${formatBytes(bytes)}, SHA-256 verified).\n`,
  );
}
