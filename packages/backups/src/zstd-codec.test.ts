import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Decoder, Encoder } from '@toondepauw/node-zstd';
import { describe, expect, it } from 'vitest';
import { regionLike } from './test-worlds.js';
import { ZSTD_FRAME_SIZE, ZSTD_MAX_FRAME_BYTES, zstdCompress, zstdDecompress } from './zstd-codec.js';
import { zstdFrames } from './zstd-frames.js';

const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;

function pieces(buffer: Buffer, size: number): AsyncIterable<Uint8Array> {
  const out: Buffer[] = [];
  for (let offset = 0; offset < buffer.length; offset += size)
    out.push(buffer.subarray(offset, offset + size));
  return Readable.from(out);
}

async function all(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of iterable) out.push(Buffer.from(chunk));
  return Buffer.concat(out);
}

describe('zstd streaming', () => {
  const input = Buffer.concat([regionLike(ZSTD_FRAME_SIZE * 2 + 12_345, 7), Buffer.alloc(300_000, 0x41)]);

  it('round-trips data spanning several frames, whatever the chunking', async () => {
    const compressed = await all(zstdCompress(pieces(input, 65_536)));
    expect(compressed.length).toBeLessThan(input.length);
    for (const size of [1_000_003, 4_096, 3]) {
      if (size === 3) {
        // Byte-sized reads of a small stream: headers split across chunks at every offset.
        const small = await all(zstdCompress(pieces(randomBytes(20_000), 999)));
        const again = await all(zstdDecompress(pieces(small, 3)));
        expect(again.length).toBe(20_000);
        continue;
      }
      expect(Buffer.compare(await all(zstdDecompress(pieces(compressed, size))), input)).toBe(0);
    }
  });

  it('hands each input chunk back once it is copied into a frame', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) =>
      Buffer.from(input.subarray(i * 250_000, (i + 1) * 250_000)),
    ).filter((c) => c.length > 0);
    const handedBack = new Set<Uint8Array>();
    const compressed = await all(
      zstdCompress(Readable.from(chunks), {
        release: (chunk) => {
          handedBack.add(chunk);
          chunk.fill(0xee); // reused at once: the frames must already hold the bytes
        },
      }),
    );
    expect(handedBack.size).toBe(chunks.length);
    expect(Buffer.compare(await all(zstdDecompress(pieces(compressed, 65_536))), input)).toBe(0);
  });

  it('writes independent frames of bounded size', async () => {
    const compressed = await all(zstdCompress(pieces(input, 65_536)));
    const frames = [];
    for await (const frame of zstdFrames(pieces(compressed, 10_000), { maxFrameBytes: 32 << 20 }))
      frames.push(frame);
    expect(frames).toHaveLength(3);
    const decoder = new Decoder();
    for (const { frame, decodedBound } of frames) {
      // The bound (from block headers) covers what the frame really decodes to, far under the limit.
      const decoded = decoder.decodeSync(frame).length;
      expect(decoded).toBeLessThanOrEqual(ZSTD_FRAME_SIZE);
      expect(decodedBound).toBeGreaterThanOrEqual(decoded);
      expect(decodedBound).toBeLessThanOrEqual(ZSTD_MAX_FRAME_BYTES / 4);
    }
  });

  it.skipIf(!hasZstdCli)('is read by the zstd command-line tool, and reads what it writes', async () => {
    const compressed = await all(zstdCompress(pieces(input, 65_536)));
    const cli = spawnSync('zstd', ['-d', '-c'], { input: compressed, maxBuffer: 64 << 20 });
    expect(cli.status).toBe(0);
    expect(Buffer.compare(cli.stdout, input)).toBe(0);
    const fromCli = spawnSync('zstd', ['-c', '-3'], {
      input: input.subarray(0, 1_000_000),
      maxBuffer: 64 << 20,
    });
    expect(
      Buffer.compare(await all(zstdDecompress(pieces(fromCli.stdout, 777))), input.subarray(0, 1_000_000)),
    ).toBe(0);
  });

  it('skips skippable frames', async () => {
    const frame = new Encoder(3).encodeSync(Buffer.from('hello'));
    const skippable = Buffer.alloc(8 + 5);
    skippable.writeUInt32LE(0x184d2a5e, 0);
    skippable.writeUInt32LE(5, 4);
    expect(
      (await all(zstdDecompress(pieces(Buffer.concat([skippable, frame, skippable, frame]), 2)))).toString(),
    ).toBe('hellohello');
  });

  it.each([
    ['bad magic', Buffer.from('not zstd at all')],
    ['truncated frame', new Encoder(3).encodeSync(randomBytes(10_000)).subarray(0, 5_000)],
    [
      'garbage after a frame',
      Buffer.concat([new Encoder(3).encodeSync(Buffer.from('x')), Buffer.from([1, 2])]),
    ],
  ])('refuses %s with BACKUP_CORRUPT', async (_label, data) => {
    await expect(all(zstdDecompress(pieces(data, 100)))).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
  });

  it('refuses a frame announcing a decoded size over the limit', async () => {
    // Frame header with a 4-byte content size of 64 MiB (single segment), then nothing.
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 4]);
    const consume = async (): Promise<void> => {
      for await (const _frame of zstdFrames(pieces(header, 100), { maxFrameBytes: 32 << 20 })) {
        // nothing: the header alone must be refused
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
  });
});
