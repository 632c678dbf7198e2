/**
 * Writes a downloaded plugin into a server's plugin folder only if it is exactly the published file.
 *
 * The bytes go to a hidden temporary file in the same folder (so the final rename cannot cross file
 * systems and is atomic), are hashed while they stream, and are cut off as soon as they exceed the
 * published size. Only when size and hashes match is the file synced and renamed over its final name;
 * on any failure the temporary file is removed, so the folder is left exactly as it was (an older
 * version of the same plugin keeps running).
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DomainError } from '@minefleet/domain/errors';

export interface ExpectedFile {
  sha256?: string;
  sha512?: string;
  sizeBytes?: number;
}

export interface VerifiedFile {
  path: string;
  sizeBytes: number;
  sha256: string;
  sha512: string;
}

// A plugin file name is one plain path segment: no separators, no `..`, no control characters, and
// not hidden (hidden names are what the temporary files use).
const SAFE_FILE_NAME = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,199}$/;

/** Checks that `fileName` is a plain file name that resolves inside `dir`; returns the full path. */
export function safePluginPath(dir: string, fileName: string): string {
  const root = path.resolve(dir);
  const full = path.resolve(root, fileName);
  if (!SAFE_FILE_NAME.test(fileName) || fileName.includes('..') || path.dirname(full) !== root) {
    throw new DomainError('VALIDATION_FAILED', `Unsafe plugin file name: ${JSON.stringify(fileName)}`, {
      file_name: fileName,
    });
  }
  return full;
}

/**
 * Downloads and verifies every file into `dir` (downloadVerified, one after the other): all of them or
 * none, since a mismatch throws before the next one starts. Returns where each file is.
 */
export async function downloadAllVerified(
  files: readonly {
    fileName: string;
    sha256?: string | undefined;
    sha512?: string | undefined;
    sizeBytes: number;
    open(): Promise<AsyncIterable<Uint8Array>>;
  }[],
  dir: string,
): Promise<VerifiedFile[]> {
  const verified: VerifiedFile[] = [];
  for (const file of files)
    verified.push(
      await downloadVerified(
        await file.open(),
        {
          ...(file.sha256 && { sha256: file.sha256 }),
          ...(file.sha512 && { sha512: file.sha512 }),
          sizeBytes: file.sizeBytes,
        },
        dir,
        file.fileName,
      ),
    );
  return verified;
}

export async function downloadVerified(
  stream: AsyncIterable<Uint8Array>,
  expected: ExpectedFile,
  targetDir: string,
  fileName: string,
): Promise<VerifiedFile> {
  const finalPath = safePluginPath(targetDir, fileName);
  const want = {
    sha256: expected.sha256?.toLowerCase(),
    sha512: expected.sha512?.toLowerCase(),
  };
  if (!want.sha256 && !want.sha512) {
    // Nothing to verify against is a refusal, not a pass.
    throw new DomainError('PLUGIN_HASH_MISMATCH', `${fileName} has no published hash to verify`, {
      file_name: fileName,
    });
  }

  const tempPath = path.join(path.dirname(finalPath), `.${fileName}.${randomBytes(6).toString('hex')}.part`);
  const handle = await open(tempPath, 'wx', 0o644);
  let handleOpen = true;
  try {
    const sha256 = createHash('sha256');
    const sha512 = createHash('sha512');
    let size = 0;
    for await (const chunk of stream) {
      size += chunk.byteLength;
      if (expected.sizeBytes !== undefined && size > expected.sizeBytes) {
        throw mismatch(fileName, { expected_size: expected.sizeBytes, actual_size_at_least: size });
      }
      sha256.update(chunk);
      sha512.update(chunk);
      await handle.write(chunk);
    }
    const got = { sha256: sha256.digest('hex'), sha512: sha512.digest('hex') };
    if (expected.sizeBytes !== undefined && size !== expected.sizeBytes) {
      throw mismatch(fileName, { expected_size: expected.sizeBytes, actual_size: size });
    }
    if ((want.sha256 && want.sha256 !== got.sha256) || (want.sha512 && want.sha512 !== got.sha512)) {
      throw mismatch(fileName, {
        ...(want.sha256 && { expected_sha256: want.sha256, actual_sha256: got.sha256 }),
        ...(want.sha512 && { expected_sha512: want.sha512, actual_sha512: got.sha512 }),
      });
    }
    // Durable before visible: a crash right after the rename must not leave a truncated plugin.
    await handle.sync();
    await handle.close();
    handleOpen = false;
    await rename(tempPath, finalPath);
    await syncDirectory(path.dirname(finalPath));
    return { path: finalPath, sizeBytes: size, ...got };
  } catch (error) {
    if (handleOpen) await handle.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
}

function mismatch(fileName: string, details: Record<string, unknown>): DomainError {
  return new DomainError('PLUGIN_HASH_MISMATCH', `${fileName} does not match its published size or hash`, {
    file_name: fileName,
    ...details,
  });
}

/** Persists the rename itself (the directory entry); best effort where directories cannot be opened. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the data itself is already synced.
  } finally {
    await handle.close();
  }
}
