import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashWorker } from './hash-worker.js';

describe('HashWorker', () => {
  it('gives the SHA-256 of chunks of any size, in order', async () => {
    const plain = randomBytes(300_000);
    const shared = randomBytes(200_000);
    // A small view of a large buffer, and an empty chunk, as a compressor may produce.
    const large = randomBytes(1_000_000);
    const chunks = [plain, shared.subarray(10, 150_000), large.subarray(5, 1_000), Buffer.alloc(0), shared];

    const hash = new HashWorker();
    for (const chunk of chunks) await hash.update(chunk);
    const expected = createHash('sha256');
    for (const chunk of chunks) expected.update(chunk);
    expect(await hash.digest()).toBe(expected.digest('hex'));
  });

  it('hashes more than its ring holds, across the end of the ring (update waits, then goes on)', async () => {
    const chunk = randomBytes(3 * 1024 * 1024 + 12_345); // pieces do not line up with the ring
    const hash = new HashWorker();
    const expected = createHash('sha256');
    for (let i = 0; i < 24; i++) {
      await hash.update(chunk);
      expected.update(chunk);
    }
    expect(await hash.digest()).toBe(expected.digest('hex'));
  });

  it('hashes shared memory in place, in order with copied chunks, and says when each is hashed', async () => {
    const copied = randomBytes(500_000);
    const sharedChunks = [0, 1, 2].map(() => {
      const memory = Buffer.from(new SharedArrayBuffer(3 * 1024 * 1024));
      randomBytes(memory.length).copy(memory);
      return memory.subarray(17); // a view, not the whole memory
    });
    const expected = createHash('sha256');
    for (const chunk of [sharedChunks[0]!, copied, sharedChunks[1]!, sharedChunks[2]!, copied])
      expected.update(chunk);

    const hash = new HashWorker();
    const hashed: number[] = [];
    const done = (i: number) => () => {
      hashed.push(i);
      sharedChunks[i]!.fill(0); // the memory is reused at once: the digest must not see it
    };
    await hash.updateShared(sharedChunks[0]!, done(0));
    await hash.update(copied);
    await hash.updateShared(sharedChunks[1]!, done(1));
    await hash.updateShared(sharedChunks[2]!, done(2));
    await hash.update(copied);
    expect(await hash.digest()).toBe(expected.digest('hex'));
    expect(hashed).toEqual([0, 1, 2]);
    await expect(hash.updateShared(copied, () => undefined)).rejects.toThrow(/not shared/);
  });

  it('refuses work once closed', async () => {
    const hash = new HashWorker();
    await hash.update(Buffer.from('partial'));
    await hash.close();
    await expect(hash.update(Buffer.from('more'))).rejects.toThrow(/stopped/);
    await expect(hash.digest()).rejects.toThrow(/stopped/);
  });
});
