import { Decoder, Encoder } from '@toondepauw/node-zstd';
import { zstdFrames } from './zstd-frames.js';

/**
 * Streaming zstd over a whole-buffer native binding (Node 20's zlib has no zstd).
 *
 * `@toondepauw/node-zstd` ships prebuilt binaries as npm packages (nothing is downloaded at install or
 * run time) and encodes on libuv's thread pool. We cut the input into fixed-size pieces, encode each as
 * an independent frame (the concatenation is a standard zstd stream) and keep a few in flight, so
 * memory stays at `frameSize × inFlight` whatever the input size and both cores can compress.
 */
export const ZSTD_FRAME_SIZE = 4 * 1024 * 1024;
/** Frames a reader accepts; ours are ZSTD_FRAME_SIZE, the margin covers a different writer's framing. */
export const ZSTD_MAX_FRAME_BYTES = 32 * 1024 * 1024;
/**
 * Frames being encoded at once: enough to keep both cores busy. Decoding keeps fewer in flight: decode
 * tasks and file writes share libuv's four threads, and more decodes only delayed the writes.
 */
const ENCODE_IN_FLIGHT = 3;
const DECODE_IN_FLIGHT = 2;

export async function* zstdCompress(
  source: AsyncIterable<Uint8Array>,
  options: {
    level?: number;
    frameSize?: number;
    /** Called with each input chunk once it is copied into a frame (the caller may reuse its memory). */
    release?: (chunk: Uint8Array) => void;
  } = {},
): AsyncGenerator<Buffer> {
  const encoder = new Encoder(options.level ?? 3);
  const frameSize = options.frameSize ?? ZSTD_FRAME_SIZE;
  const pending: Promise<Buffer>[] = [];
  // A piece is reused once its frame is encoded (the binding no longer reads it): a fresh 4 MiB buffer
  // per frame cost page faults and garbage collections in proportion to the archive's size.
  const free: Buffer[] = [];
  let piece: Buffer = Buffer.allocUnsafe(frameSize);
  let filled = 0;

  const submit = (): void => {
    const input = piece;
    const task = encoder.encode(filled === frameSize ? input : input.subarray(0, filled)).then((frame) => {
      free.push(input);
      return frame;
    });
    // Attach a handler now: a later frame may fail while we still await an earlier one.
    task.catch(() => undefined);
    pending.push(task);
    piece = free.pop() ?? Buffer.allocUnsafe(frameSize);
    filled = 0;
  };

  try {
    for await (const chunk of source) {
      let offset = 0;
      // Copied whole before anything is awaited, so the chunk can be handed back before the yield.
      const ready: Promise<Buffer>[] = [];
      while (offset < chunk.length) {
        const n = Math.min(frameSize - filled, chunk.length - offset);
        piece.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === frameSize) {
          submit();
          if (pending.length >= ENCODE_IN_FLIGHT) ready.push(pending.shift()!);
        }
      }
      options.release?.(chunk);
      for (const frame of ready) yield await frame;
    }
    if (filled > 0) submit();
    while (pending.length > 0) yield await pending.shift()!;
  } finally {
    pending.length = 0;
  }
}

export async function* zstdDecompress(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const decoder = new Decoder();
  const pending: Promise<Buffer>[] = [];
  try {
    for await (const { frame } of zstdFrames(source, { maxFrameBytes: ZSTD_MAX_FRAME_BYTES })) {
      const task = decoder.decode(frame);
      task.catch(() => undefined);
      pending.push(task);
      if (pending.length >= DECODE_IN_FLIGHT) yield await pending.shift()!;
    }
    while (pending.length > 0) yield await pending.shift()!;
  } finally {
    pending.length = 0;
  }
}
