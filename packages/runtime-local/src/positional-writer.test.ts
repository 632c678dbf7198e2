import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WRITE_BLOCK_BYTES, writeStreamAt } from './positional-writer.js';

/** The body in pieces of `piece` bytes, optionally failing (a dropped connection) after `failAfter`. */
async function* pieces(bytes: Buffer, piece: number, failAfter = Infinity): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += piece) {
    if (at >= failAfter) throw new Error('connection reset');
    yield bytes.subarray(at, Math.min(bytes.length, at + piece));
  }
}

/**
 * The chunk writer of resumable uploads, on a real file: bytes land at the offset across block
 * boundaries (an unaligned start, pieces that straddle blocks), what arrived before a failure is kept,
 * and more than the limit is refused.
 */
describe('writeStreamAt', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-writer-'));
    file = path.join(dir, 'part');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes a body of many blocks at an unaligned offset, byte for byte', async () => {
    const head = randomBytes(1000);
    await writeFile(file, head);
    const body = randomBytes(2 * WRITE_BLOCK_BYTES + 12_345);
    const fh = await open(file, 'r+');
    try {
      expect(await writeStreamAt(fh, head.length, pieces(body, 65_537), body.length)).toBe(
        head.length + body.length,
      );
    } finally {
      await fh.close();
    }
    expect(Buffer.compare(await readFile(file), Buffer.concat([head, body]))).toBe(0);
  });

  it('keeps every byte that arrived before the body failed, so the upload resumes there', async () => {
    const body = randomBytes(WRITE_BLOCK_BYTES + 300_000);
    const fh = await open(file, 'w');
    try {
      await expect(writeStreamAt(fh, 0, pieces(body, 100_000, 1_000_000), body.length)).rejects.toThrow(
        'connection reset',
      );
    } finally {
      await fh.close();
    }
    expect(Buffer.compare(await readFile(file), body.subarray(0, 1_000_000))).toBe(0);
  });

  it('refuses a body larger than the limit with FILE_TOO_LARGE', async () => {
    const fh = await open(file, 'w');
    try {
      await expect(writeStreamAt(fh, 0, pieces(randomBytes(5000), 1000), 4500)).rejects.toMatchObject({
        code: 'FILE_TOO_LARGE',
      });
    } finally {
      await fh.close();
    }
    expect((await readFile(file)).length).toBeLessThanOrEqual(4500);
  });
});
