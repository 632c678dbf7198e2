// Backups and restores of a server on Kubernetes through its pod's agent, which runs the control plane's
// archive engine (@minefleet/backups) on the world volume: the archive, its SHA-256 and a restore's checks
// are the ones a local backup has. `create` answers in frames (a type byte, a 32-bit big-endian length,
// the payload): `D` archive bytes, `P` progress, then `S` the engine's summary or `E` an error. The bytes
// are hashed here as they arrive and must match the agent's summary, so an archive that lost or changed
// bytes on the way is refused before it is recorded.
import { createHash } from 'node:crypto';
import type { ArchiveResult, RestoreResult } from '@minefleet/domain/ports/archive-engine';
import type { ArchivableFiles } from '@minefleet/domain/ports/server-archives';
import { agentError, call, result, type AgentLocation } from './agent-client.js';

/** The largest frame taken: the engine's chunks are far smaller; more is not the agent. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** A server's files for the backup service, through the agent at `at`. */
export function agentArchivableFiles(at: AgentLocation, excludes: readonly string[]): ArchivableFiles {
  return {
    excludes,
    measure: () => result<number>(call(at, { then: 'archive', method: 'measure', exclude: excludes })),
    archive(options) {
      let settle!: { resolve: (r: ArchiveResult) => void; reject: (e: unknown) => void };
      const summary = new Promise<ArchiveResult>((resolve, reject) => (settle = { resolve, reject }));
      // Read by the caller after the stream; a stream that fails first must not leave it unhandled.
      summary.catch(() => undefined);
      async function* stream(): AsyncIterable<Uint8Array> {
        try {
          const { body } = await call(
            at,
            { then: 'archive', method: 'create', compression: options.compression, exclude: excludes },
            undefined,
            options.signal,
          );
          const hash = createHash('sha256');
          let size = 0;
          for await (const [type, payload] of frames(body)) {
            if (type === 'D') {
              hash.update(payload);
              size += payload.length;
              yield payload;
            } else if (type === 'P') {
              const progress = JSON.parse(payload.toString('utf8')) as {
                bytesRead?: unknown;
                files?: unknown;
              };
              if (typeof progress.bytesRead === 'number' && typeof progress.files === 'number')
                options.onProgress?.({ bytesRead: progress.bytesRead, files: progress.files });
            } else if (type === 'E') {
              throw agentError(
                `agent ${at.address.host}`,
                JSON.parse(payload.toString('utf8')) as Record<string, unknown>,
              );
            } else if (type === 'S') {
              const told = JSON.parse(payload.toString('utf8')) as ArchiveResult;
              const sha256 = hash.digest('hex');
              if (told.sha256 !== sha256 || told.sizeBytes !== size)
                throw new Error(
                  `The archive changed on its way from the pod: ${size} bytes with SHA-256 ${sha256} arrived, the agent sent ${told.sizeBytes} with ${told.sha256}`,
                );
              settle.resolve({ ...told, sha256, sizeBytes: size });
              return;
            } else throw new Error(`The agent sent a frame of unknown type ${JSON.stringify(type)}`);
          }
          throw new Error('The agent ended the archive before its summary');
        } catch (error) {
          settle.reject(error);
          throw error;
        }
      }
      return { stream: stream(), summary };
    },
    restore: (source, options) =>
      result<RestoreResult>(
        call(
          at,
          {
            then: 'archive',
            method: 'restore',
            compression: options.compression,
            preserve: excludes,
            ...(options.expectedSha256 ? { expectedSha256: options.expectedSha256 } : {}),
            ...(options.limits ? { limits: options.limits } : {}),
          },
          source,
          options.signal,
        ),
      ),
  };
}

/** The frames of a `create` answer, each whole: its type and payload. */
async function* frames(body: AsyncIterable<Buffer>): AsyncIterable<[string, Buffer]> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of body) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= 5) {
      const head = pending[0]!.length >= 5 ? pending[0]! : Buffer.concat(pending);
      const length = head.readUInt32BE(1);
      if (length > MAX_FRAME_BYTES) throw new Error(`The agent sent a frame of ${length} bytes`);
      if (pendingBytes < 5 + length) {
        if (head !== pending[0]) pending = [head];
        break;
      }
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      yield [String.fromCharCode(all[0]!), all.subarray(5, 5 + length)];
      const rest = all.subarray(5 + length);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
    }
  }
  if (pendingBytes > 0) throw new Error('The agent ended the archive in the middle of a frame');
}
