import { randomUUID } from 'node:crypto';
import type { ServerFiles } from '@minefleet/domain/ports/server-files';
import { DomainError } from '@minefleet/domain/errors';
import { PLATFORM_STATE_DIR } from '@minefleet/domain/file-paths';
import { storageUsedFor, type StorageMeter } from '../storage/storage-room.js';
import { KeyedLock } from './keyed-lock.js';

/** Largest chunk of one PATCH: small enough for every proxy in front of the control plane. */
export const MAX_CHUNK_BYTES = 50 * 1024 * 1024;
/** An upload not finished within a day is dropped (its bytes count against the quota meanwhile). */
export const UPLOAD_TTL_MS = 24 * 3600 * 1000;

const UPLOADS_DIR = `${PLATFORM_STATE_DIR}/files/uploads`;
const UPLOAD_ID = /^[0-9a-f-]{36}$/;

export interface UploadRecord {
  id: string;
  /** Where the file goes once complete. */
  path: string;
  size: number;
  overwrite: boolean;
  createdAt: string;
  expiresAt: string;
  userId: string;
}

export interface UploadState extends UploadRecord {
  offset: number;
}

/**
 * Resumable uploads, the tus idea: create (path and total size), then append chunks at the current
 * offset; the offset is the size of the partial file on disk, so it survives a dropped connection and a
 * control-plane restart. The complete file is moved into place in one rename.
 */
export class FileUploads {
  private readonly locks = new KeyedLock();

  constructor(
    private readonly files: ServerFiles,
    private readonly now: () => number,
  ) {}

  private record(serverId: string, id: string): Promise<UploadRecord> {
    if (!UPLOAD_ID.test(id)) throw new DomainError('UPLOAD_NOT_FOUND', 'No such upload.', { id });
    return this.files
      .read(serverId, `${UPLOADS_DIR}/${id}.json`, 64 * 1024)
      .then((raw) => JSON.parse(Buffer.from(raw).toString('utf8')) as UploadRecord)
      .catch((error: unknown) => {
        if (error instanceof DomainError && error.code === 'FILE_NOT_FOUND')
          throw new DomainError('UPLOAD_NOT_FOUND', 'No such upload (finished, cancelled or expired).', {
            id,
          });
        throw error;
      });
  }

  /** Open uploads of the server; expired ones are removed on the way. */
  async open(serverId: string): Promise<UploadState[]> {
    let entries;
    try {
      entries = await this.files.list(serverId, UPLOADS_DIR);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'FILE_NOT_FOUND') return [];
      throw error;
    }
    const states: UploadState[] = [];
    for (const entry of entries) {
      if (!entry.name.endsWith('.json')) continue;
      const id = entry.name.slice(0, -'.json'.length);
      const state = await this.state(serverId, id).catch(() => null);
      if (!state || Date.parse(state.expiresAt) <= this.now()) {
        await this.cancel(serverId, id).catch(() => {});
        continue;
      }
      states.push(state);
    }
    return states;
  }

  async create(
    serverId: string,
    rel: string,
    size: number,
    overwrite: boolean,
    userId: string,
    quotaBytes: number,
    storage: StorageMeter,
  ): Promise<UploadState> {
    const existing = await this.files.stat(serverId, rel);
    if (existing?.type === 'directory')
      throw new DomainError('FILE_TYPE_MISMATCH', `"${rel}" is a folder.`, { path: rel });
    if (existing && !overwrite)
      throw new DomainError('FILE_EXISTS', `"${rel}" exists; set overwrite to replace it.`, { path: rel });
    const pending = (await this.open(serverId)).reduce((sum, u) => sum + (u.size - u.offset), 0);
    const used = await storageUsedFor(storage, serverId, (bytes) => bytes + pending + size > quotaBytes);
    if (used + pending + size > quotaBytes) {
      throw new DomainError('QUOTA_EXCEEDED', 'The upload does not fit in the server’s storage.', {
        quota: 'storage',
        limit_bytes: quotaBytes,
        used_bytes: used,
        pending_bytes: pending,
        requested_bytes: size,
      });
    }
    const at = this.now();
    const record: UploadRecord = {
      id: randomUUID(),
      path: rel,
      size,
      overwrite,
      createdAt: new Date(at).toISOString(),
      expiresAt: new Date(at + UPLOAD_TTL_MS).toISOString(),
      userId,
    };
    await this.files.write(serverId, `${UPLOADS_DIR}/${record.id}.part`, new Uint8Array(0), { mode: 0o600 });
    await this.files.write(serverId, `${UPLOADS_DIR}/${record.id}.json`, Buffer.from(JSON.stringify(record)));
    return { ...record, offset: 0 };
  }

  async state(serverId: string, id: string): Promise<UploadState> {
    // Both at once: each is a few file-system calls, and every chunk of an upload asks.
    const [record, part] = await Promise.all([
      this.record(serverId, id),
      this.files.stat(serverId, `${UPLOADS_DIR}/${id}.part`),
    ]);
    if (!part) throw new DomainError('UPLOAD_NOT_FOUND', 'No such upload.', { id });
    return { ...record, offset: part.size };
  }

  /**
   * Appends one chunk at `offset` (which must be the current offset); when the file is complete it is
   * moved into place. One chunk at a time per upload. `check` is given the target path before any
   * byte is written (it throws to refuse the chunk).
   */
  async append(
    serverId: string,
    id: string,
    offset: number,
    body: AsyncIterable<Uint8Array>,
    check: (path: string) => void = () => {},
  ): Promise<{ state: UploadState; complete: boolean }> {
    return this.locks.run(`${serverId}:${id}`, async () => {
      const state = await this.state(serverId, id);
      check(state.path);
      if (offset !== state.offset) {
        throw new DomainError('UPLOAD_OFFSET_MISMATCH', `The upload is at ${state.offset}, not ${offset}.`, {
          offset: state.offset,
        });
      }
      const room = Math.min(MAX_CHUNK_BYTES, state.size - state.offset);
      const part = `${UPLOADS_DIR}/${id}.part`;
      let reached: number;
      try {
        reached = await this.files.writeAt(serverId, part, offset, body, room);
      } catch (error) {
        // What arrived before a dropped connection or an oversized chunk stays: the client resumes there.
        if (error instanceof DomainError && error.code === 'FILE_TOO_LARGE') {
          throw new DomainError(
            'FILE_TOO_LARGE',
            `A chunk may hold at most ${room} more bytes (chunks ≤ ${MAX_CHUNK_BYTES}, total ${state.size}).`,
            { limit: room },
          );
        }
        throw error;
      }
      const next = { ...state, offset: reached };
      if (reached < state.size) return { state: next, complete: false };
      await this.files.rename(serverId, part, state.path, state.overwrite);
      await this.files.remove(serverId, `${UPLOADS_DIR}/${id}.json`).catch(() => {});
      return { state: next, complete: true };
    });
  }

  async cancel(serverId: string, id: string): Promise<void> {
    if (!UPLOAD_ID.test(id)) throw new DomainError('UPLOAD_NOT_FOUND', 'No such upload.', { id });
    await this.files.remove(serverId, `${UPLOADS_DIR}/${id}.part`).catch(() => {});
    await this.files.remove(serverId, `${UPLOADS_DIR}/${id}.json`).catch(() => {});
  }
}
