import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WriteQueue } from './write-queue.js';

describe('WriteQueue', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mf-write-queue-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes overlapping chunks at their positions: the file is the concatenation', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(1 + ((i * 7919) % 300_000)));
    const file = path.join(dir, 'out');
    const handle = await open(file, 'w');
    const queue = new WriteQueue(handle, { depth: 4 });
    for (const chunk of chunks) await queue.write(chunk);
    expect(await queue.flush()).toBe(chunks.reduce((n, c) => n + c.length, 0));
    await handle.close();
    expect(Buffer.compare(await readFile(file), Buffer.concat(chunks))).toBe(0);
  });

  it('hands each chunk back once, after its bytes are written (the caller may then overwrite it)', async () => {
    const chunks = Array.from({ length: 30 }, (_, i) => randomBytes(1 + ((i * 104_729) % 700_000)));
    const expected = Buffer.concat(chunks);
    const file = path.join(dir, 'handed-back');
    const handle = await open(file, 'w');
    const handedBack: Uint8Array[] = [];
    const queue = new WriteQueue(handle, {
      depth: 4,
      onWritten: (chunk) => {
        handedBack.push(chunk);
        // What a producer reusing the memory does: had the write not been done, the file would show it.
        chunk.fill(0xee);
      },
    });
    for (const chunk of chunks) await queue.write(chunk);
    await queue.flush();
    await handle.close();
    expect(handedBack).toHaveLength(chunks.length);
    expect(new Set(handedBack).size).toBe(chunks.length);
    expect(Buffer.compare(await readFile(file), expected)).toBe(0);
  });

  it('reports a failed write (here: a read-only handle) at the latest on flush', async () => {
    const file = path.join(dir, 'ro');
    await (await open(file, 'w')).close();
    const handle = await open(file, 'r');
    const queue = new WriteQueue(handle, { depth: 4 });
    await expect(
      (async () => {
        for (let i = 0; i < 8; i++) await queue.write(Buffer.alloc(10, i));
        await queue.flush();
      })(),
    ).rejects.toMatchObject({ code: 'EBADF' });
    await handle.close();
  });
});
