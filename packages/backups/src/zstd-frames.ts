import { DomainError } from '@minefleet/domain/errors';
import { ByteQueue } from './byte-queue.js';

/**
 * Splits a zstd stream (RFC 8878) into whole frames, without decoding them.
 *
 * Why: the native zstd binding we use (prebuilt, from npm) decodes whole buffers, not streams. Minefleet
 * writes an archive as a concatenation of independent frames of bounded size (a valid zstd stream that
 * `zstd -d` and `tar --zstd` read), so a reader can decode it one frame at a time in bounded memory.
 * The splitter also bounds what one frame may decode to (from its block headers), so a hostile archive
 * cannot make us allocate a huge buffer: a frame over `maxFrameBytes` (compressed or decoded) is refused.
 */
const ZSTD_MAGIC = 0xfd2fb528;
const BLOCK_MAX = 128 * 1024;

export interface ZstdFrameLimits {
  /** Largest compressed frame, and largest decoded size a frame may announce. */
  maxFrameBytes: number;
}

type State =
  | { kind: 'magic' }
  | { kind: 'header'; frame: Buffer[] }
  | { kind: 'block'; frame: Buffer[]; size: number; bound: number; checksum: boolean }
  | { kind: 'checksum'; frame: Buffer[]; size: number; bound: number }
  | { kind: 'skip'; left: number };

function corrupt(problem: string): DomainError {
  // `reason` is the same stable value as for any unreadable archive; `problem` says what was wrong.
  return new DomainError('BACKUP_CORRUPT', `Invalid zstd stream: ${problem}`, {
    reason: 'unreadable',
    problem,
  });
}

export async function* zstdFrames(
  source: AsyncIterable<Uint8Array>,
  limits: ZstdFrameLimits,
): AsyncGenerator<{ frame: Buffer; decodedBound: number }> {
  const queue = new ByteQueue();
  let state: State = { kind: 'magic' };

  const grow = (frame: Buffer[], size: number, add: Buffer[], addLength: number): number => {
    frame.push(...add);
    const next = size + addLength;
    if (next > limits.maxFrameBytes) throw corrupt(`frame larger than ${limits.maxFrameBytes} bytes`);
    return next;
  };

  const step = (): { frame: Buffer; decodedBound: number } | 'more' | 'again' => {
    switch (state.kind) {
      case 'magic': {
        const bytes = queue.peek(4);
        if (bytes === null) return 'more';
        const magic = bytes.readUInt32LE(0);
        if ((magic & 0xfffffff0) === 0x184d2a50) {
          // Skippable frame: 4-byte magic, 4-byte length, user data. Carries nothing to decode.
          const head = queue.peek(8);
          if (head === null) return 'more';
          queue.take(8);
          state = { kind: 'skip', left: head.readUInt32LE(4) };
          return 'again';
        }
        if (magic !== ZSTD_MAGIC) throw corrupt('bad frame magic');
        state = { kind: 'header', frame: [] };
        return 'again';
      }
      case 'skip': {
        if (state.left === 0) {
          state = { kind: 'magic' };
          return 'again';
        }
        if (queue.length === 0) return 'more';
        const n = Math.min(state.left, queue.length);
        queue.take(n);
        state = { kind: 'skip', left: state.left - n };
        return 'again';
      }
      case 'header': {
        const first = queue.peek(5);
        if (first === null) return 'more';
        const fhd = first[4]!;
        if ((fhd & 0x08) !== 0) throw corrupt('reserved bit set in frame header');
        const singleSegment = (fhd & 0x20) !== 0;
        const fcsFlag = fhd >> 6;
        const didSize = [0, 1, 2, 4][fhd & 3]!;
        const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
        const headerSize = 5 + (singleSegment ? 0 : 1) + didSize + fcsSize;
        const header = queue.peek(headerSize);
        if (header === null) return 'more';
        if (fcsSize > 0) {
          // A frame that announces its decoded size is refused up front when that size is too large.
          const at = headerSize - fcsSize;
          const declared =
            fcsSize === 1
              ? header.readUInt8(at)
              : fcsSize === 2
                ? header.readUInt16LE(at) + 256
                : fcsSize === 4
                  ? header.readUInt32LE(at)
                  : Number(header.readBigUInt64LE(at));
          if (declared > limits.maxFrameBytes) throw corrupt(`frame declares ${declared} decoded bytes`);
        }
        const frame: Buffer[] = [];
        const size = grow(frame, 0, queue.take(headerSize), headerSize);
        state = { kind: 'block', frame, size, bound: 0, checksum: (fhd & 0x04) !== 0 };
        return 'again';
      }
      case 'block': {
        const bytes = queue.peek(3);
        if (bytes === null) return 'more';
        const blockHeader = bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16);
        const last = (blockHeader & 1) === 1;
        const type = (blockHeader >> 1) & 3;
        const blockSize = blockHeader >>> 3;
        if (type === 3) throw corrupt('reserved block type');
        if (blockSize > BLOCK_MAX) throw corrupt('block larger than 128 KiB');
        // Raw blocks carry their bytes; RLE blocks carry one byte repeated blockSize times; compressed
        // blocks carry blockSize bytes that decode to at most 128 KiB.
        const contentSize = type === 1 ? 1 : blockSize;
        if (queue.length < 3 + contentSize) return 'more';
        const bound = state.bound + (type === 2 ? BLOCK_MAX : blockSize);
        if (bound > limits.maxFrameBytes)
          throw corrupt(`frame may decode to more than ${limits.maxFrameBytes} bytes`);
        const size = grow(state.frame, state.size, queue.take(3 + contentSize), 3 + contentSize);
        if (!last) {
          state = { ...state, size, bound };
          return 'again';
        }
        if (state.checksum) {
          state = { kind: 'checksum', frame: state.frame, size, bound };
          return 'again';
        }
        const done = { frame: Buffer.concat(state.frame, size), decodedBound: bound };
        state = { kind: 'magic' };
        return done;
      }
      case 'checksum': {
        if (queue.length < 4) return 'more';
        const size = grow(state.frame, state.size, queue.take(4), 4);
        const done = { frame: Buffer.concat(state.frame, size), decodedBound: state.bound };
        state = { kind: 'magic' };
        return done;
      }
    }
  };

  for await (const chunk of source) {
    queue.push(chunk);
    for (;;) {
      const result = step();
      if (result === 'more') break;
      if (result !== 'again') yield result;
    }
  }
  const end = state as State; // assigned inside step(), which the compiler does not follow
  const atBoundary = queue.length === 0 && (end.kind === 'magic' || (end.kind === 'skip' && end.left === 0));
  if (!atBoundary) throw corrupt('stream ends inside a frame');
}
