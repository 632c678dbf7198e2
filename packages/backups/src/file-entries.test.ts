import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';
import { SMALL_FILE, coalesce, largeBody, openFile } from './file-entries.js';
import { TAR_BLOCK } from './tar-header.js';

async function all(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('file entries', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'mf-entries-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('reads a small file whole: header, body and padding in one chunk', async () => {
    const body = randomBytes(1000);
    await writeFile(path.join(work, 'small.dat'), body);
    const opened = await openFile(path.join(work, 'small.dat'), 'small.dat');
    if (opened.kind !== 'small') throw new Error(`opened as ${opened.kind}`);
    const { chunk, bytesRead } = await opened.chunk;
    expect(bytesRead).toBe(1000);
    expect(chunk.length).toBe(TAR_BLOCK + 2 * TAR_BLOCK);
    expect(chunk.subarray(0, 9).toString()).toBe('small.dat');
    expect(chunk.subarray(TAR_BLOCK, TAR_BLOCK + 1000).equals(body)).toBe(true);
    expect(chunk.subarray(TAR_BLOCK + 1000).every((byte) => byte === 0)).toBe(true);
  });

  it('streams a large file with reads in flight; a file that shrank is padded with zeros', async () => {
    const size = 3 * 1024 * 1024 + 100;
    const body = randomBytes(size);
    const file = path.join(work, 'large.mca');
    await writeFile(file, body);
    const opened = await openFile(file, 'large.mca');
    if (opened.kind !== 'large') throw new Error(`opened as ${opened.kind}`);
    expect(opened.size).toBeGreaterThan(SMALL_FILE);
    await truncate(file, 2 * 1024 * 1024); // shrinks after the size was recorded
    let read = 0;
    const bytes = await all(largeBody(opened, new BufferPool(1024 * 1024), (n) => (read += n), undefined));
    expect(read).toBe(2 * 1024 * 1024);
    expect(bytes.length).toBe(opened.header.length + size + (TAR_BLOCK - (size % TAR_BLOCK)));
    const content = bytes.subarray(opened.header.length, opened.header.length + size);
    expect(content.subarray(0, 2 * 1024 * 1024).equals(body.subarray(0, 2 * 1024 * 1024))).toBe(true);
    expect(content.subarray(2 * 1024 * 1024).every((byte) => byte === 0)).toBe(true);
  });

  it('does not follow a symlink, and says when a file is gone', async () => {
    await symlink('/etc/passwd', path.join(work, 'link'));
    expect(await openFile(path.join(work, 'link'), 'link')).toEqual({
      kind: 'skipped',
      reason: 'symlink-outside',
    });
    expect(await openFile(path.join(work, 'missing'), 'missing')).toEqual({ kind: 'gone' });
  });

  it('joins small chunks without changing a byte, passes large ones through, hands copied ones back', async () => {
    const pool = new BufferPool(1024);
    // The end of a large file's reads: a part of one of the pool's buffers, copied here, then free.
    const tail = pool.take().subarray(0, 50);
    randomBytes(50).copy(tail);
    const pieces = [randomBytes(100), randomBytes(300), randomBytes(3000), tail, randomBytes(10)];
    const expected = Buffer.concat(pieces);
    const sizes: number[] = [];
    const joined: Buffer[] = [];
    for await (const chunk of coalesce(
      (async function* () {
        yield* pieces;
      })(),
      pool,
    )) {
      sizes.push(chunk.length);
      joined.push(Buffer.from(chunk));
    }
    expect(Buffer.concat(joined).equals(expected)).toBe(true);
    expect(sizes).toEqual([400, 3000, 60]);
    expect(pool.take().buffer).toBe(tail.buffer);
  });
});
