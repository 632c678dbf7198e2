import type { FileHandle } from 'node:fs/promises';
import { DomainError } from '@minefleet/domain/errors';

/** Bytes gathered before one positional write: few system calls, blocks aligned on the file. */
export const WRITE_BLOCK_BYTES = 4 * 1024 * 1024;

/**
 * Writes a streamed body into `fh` from `offset`, then fsyncs; returns the position reached (offset +
 * bytes written). FILE_TOO_LARGE once more than `maxBytes` arrived.
 *
 * Request bodies arrive in pieces of 16–64 KiB. They are copied into blocks of WRITE_BLOCK_BYTES
 * (the first one shortened so that the next ones start on a multiple of it) and each block is written
 * while the next one is received: one write in flight, so at most two blocks are held. One fsync at
 * the end. (Starting writeback earlier with fdatasync calls while the body arrives was tried: each one
 * is a journal commit, which on a disk shared with other writers waits for their data too, and it
 * measured no faster.)
 *
 * Every byte that arrived is written, also when the body fails (a dropped connection): an upload
 * resumes from there. A failed write is thrown.
 */
export async function writeStreamAt(
  fh: FileHandle,
  offset: number,
  data: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<number> {
  let position = offset;
  let received = 0;
  let block: Buffer = Buffer.allocUnsafe(Math.min(WRITE_BLOCK_BYTES, Math.max(maxBytes, 1)));
  let spare: Buffer | null = null;
  let filled = 0;
  let limit = Math.min(block.length, WRITE_BLOCK_BYTES - (offset % WRITE_BLOCK_BYTES));
  // Set from the callback of the write in flight (a rejection nobody awaits yet would crash).
  const failures: unknown[] = [];
  let writing: Promise<void> = Promise.resolve();
  const fail = (error: unknown) => {
    failures.push(error);
  };
  const writeBlock = async (bytes: Buffer, at: number) => {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, at + done);
      done += bytesWritten;
    }
  };
  const flush = async () => {
    await writing;
    if (failures.length > 0) throw failures[0];
    if (filled === 0) return;
    const bytes = block.subarray(0, filled);
    const at = position;
    position += filled;
    // The block in flight is not touched again until its write is over (awaited above next time).
    [block, spare] = [spare ?? Buffer.allocUnsafe(block.length), block];
    filled = 0;
    limit = block.length;
    writing = writeBlock(bytes, at).catch(fail);
  };
  try {
    for await (const chunk of data) {
      received += chunk.length;
      if (received > maxBytes) {
        throw new DomainError('FILE_TOO_LARGE', `The chunk is larger than ${maxBytes} bytes.`, {
          limit: maxBytes,
        });
      }
      let from = 0;
      while (from < chunk.length) {
        const n = Math.min(chunk.length - from, limit - filled);
        block.set(chunk.subarray(from, from + n), filled);
        filled += n;
        from += n;
        if (filled === limit) await flush();
      }
    }
  } finally {
    // Also when the connection dropped: every byte that arrived is kept for the resume.
    await flush();
    await writing;
  }
  if (failures.length > 0) throw failures[0];
  await fh.sync();
  return position;
}
