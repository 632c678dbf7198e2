import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { Context } from './context.js';
import { CliError, failureOf } from './errors.js';

/** What `admin backup` reports of an archive, online or offline. */
export interface PlatformBackupSummary {
  database: string;
  schema_tag: string;
  files: { name: string }[];
}

/**
 * `minefleet admin backup` through the running control plane (`POST /api/v1/admin/platform-backup`):
 * the process that has the database open takes the copy, so the embedded database needs no stop. The
 * archive is written as `<output>.partial` (0600) and renamed when complete; an existing file is never
 * overwritten.
 */
export async function downloadPlatformBackup(
  ctx: Context,
  output: string,
): Promise<{ manifest: PlatformBackupSummary; bytes: number }> {
  const target = path.resolve(output);
  if (existsSync(target)) {
    throw new CliError(`${target} exists already.`, { code: 'PLATFORM_RESTORE_NOT_EMPTY' });
  }
  const response = await ctx.fetch(
    new Request(`${ctx.url}/api/v1/admin/platform-backup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.requireToken()}` },
    }),
    { timeoutMs: null },
  );
  if (!response.ok || !response.body) throw await failureOf(response);
  const manifest = JSON.parse(
    response.headers.get('x-platform-backup-manifest') ?? 'null',
  ) as PlatformBackupSummary | null;
  if (!manifest)
    throw new CliError('the control plane sent no manifest with the archive', { code: 'INTERNAL' });
  return { manifest, bytes: await saveArchive(response, target) };
}

/**
 * Writes an archive answer to `target` (0600): as `<target>.partial`, renamed when complete, removed
 * when not; an existing file is never overwritten. Resolves to its size.
 */
export async function saveArchive(response: Response, target: string): Promise<number> {
  const partial = `${target}.partial`;
  try {
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      createWriteStream(partial, { mode: 0o600, flags: 'wx' }),
    );
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return (await stat(target)).size;
}
