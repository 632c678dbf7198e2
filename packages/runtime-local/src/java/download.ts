import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DomainError } from '@minefleet/domain/errors';

export type ChecksumAlgorithm = 'sha256' | 'sha1' | 'md5';

export interface Checksum {
  algorithm: ChecksumAlgorithm;
  hex: string;
}

export type Fetch = typeof fetch;

/** Identifies Minefleet to the download services (PaperMC rejects generic user agents). */
export const USER_AGENT =
  'minefleet/0.1 (self-hosted Minecraft server panel; https://github.com/minefleet/minefleet)';

const MAX_JAR_BYTES = 512 * 1024 * 1024;

export async function fetchJson<T>(fetchImpl: Fetch, url: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { 'user-agent': USER_AGENT, accept: 'application/json' },
      signal: signal ?? null,
    });
  } catch (error) {
    throw new DomainError('DISTRIBUTION_UNAVAILABLE', `Cannot reach ${url}: ${(error as Error).message}`, {
      url,
    });
  }
  if (!response.ok) {
    throw new DomainError('DISTRIBUTION_UNAVAILABLE', `${url} answered ${response.status}`, {
      url,
      status: response.status,
    });
  }
  return (await response.json()) as T;
}

/**
 * Downloads a file, checks its checksum before anything is written where it will be used, and moves it
 * into place atomically. A mismatch leaves nothing behind. Returns the file's sha256.
 */
export async function downloadVerified(
  fetchImpl: Fetch,
  url: string,
  expected: Checksum | null,
  destination: string,
  signal?: AbortSignal,
): Promise<string> {
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { 'user-agent': USER_AGENT }, signal: signal ?? null });
  } catch (error) {
    throw new DomainError('DISTRIBUTION_UNAVAILABLE', `Cannot download ${url}: ${(error as Error).message}`, {
      url,
    });
  }
  if (!response.ok || !response.body) {
    throw new DomainError('DISTRIBUTION_UNAVAILABLE', `${url} answered ${response.status}`, {
      url,
      status: response.status,
    });
  }
  // Streamed to a temporary file beside the destination (a jar can be hundreds of MB: never held in
  // memory), checked, then renamed into place; any failure removes it.
  await mkdir(path.dirname(destination), { recursive: true });
  const tmp = `${destination}.${randomBytes(6).toString('hex')}.part`;
  const file = await open(tmp, 'wx', 0o644);
  let size = 0;
  let head = Buffer.alloc(0);
  const hash = expected ? createHash(expected.algorithm) : null;
  const sha256 = createHash('sha256');
  try {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > MAX_JAR_BYTES)
          throw new DomainError('DISTRIBUTION_UNAVAILABLE', `${url} is larger than ${MAX_JAR_BYTES} bytes`);
        if (head.length < 4) head = Buffer.concat([head, chunk]).subarray(0, 4);
        hash?.update(chunk);
        sha256.update(chunk);
        await file.write(chunk);
      }
    } finally {
      await file.close();
    }
    if (expected && hash) {
      const actual = hash.digest('hex');
      if (actual.toLowerCase() !== expected.hex.toLowerCase()) {
        throw new DomainError('DISTRIBUTION_UNAVAILABLE', `Checksum mismatch for ${url}`, {
          url,
          algorithm: expected.algorithm,
          expected: expected.hex,
          actual,
        });
      }
    }
    // A jar is a zip: a captive portal's HTML page or an error body must not become the server.
    if (head.length < 4 || head.readUInt32LE(0) !== 0x04034b50) {
      throw new DomainError('DISTRIBUTION_UNAVAILABLE', `${url} did not return a jar`, { url });
    }
    await rename(tmp, destination);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return sha256.digest('hex');
}
