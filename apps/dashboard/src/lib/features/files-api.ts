import type { Schemas } from '@minefleet/api-client/client';
import type { Permission } from '@minefleet/domain/permissions';
import { ApiError, call, type Api } from '../api.js';

/** A server's files (docs/files.md), through the typed client. */
export type FileEntry = Schemas['FileEntry'];
export type TextFile = Schemas['TextFile'];
export type TrashItem = Schemas['TrashItem'];
export type FileVersion = Schemas['FileVersion'];
export type FileSort = 'name' | '-name' | 'size' | '-size' | 'mtime' | '-mtime' | 'type' | '-type';
export type ArchiveFormat = 'tar.gz' | 'zip';
export interface SearchHit {
  path: string;
  type: FileEntry['type'];
  size: number;
  line?: number;
  preview?: string;
}

/**
 * What the signed-in member may do with files: the `file.*` permissions the API enforces, from
 * `GET /me` (a custom role's own set included).
 */
export function fileAccess(allows: (permission: Permission) => boolean): {
  read: boolean;
  write: boolean;
  purge: boolean;
} {
  return { read: allows('file.read'), write: allows('file.write'), purge: allows('file.purge') };
}

/** Joins a folder and a name ('' is the server folder itself). */
export function joinPath(folder: string, name: string): string {
  return folder ? `${folder}/${name}` : name;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The folder shown, as the Files tab's URL query (`?path=plugins/Essentials`, slashes left readable), so
 * reload, back and forward keep it and a link to a folder can be shared.
 */
export function folderQuery(folder: string): string {
  return folder === '' ? '' : `?path=${encodeURIComponent(folder).replace(/%2F/g, '/')}`;
}

/** The folder a URL query names ('' for the server folder); leading and trailing slashes dropped. */
export function folderFromQuery(search: string): string {
  return (new URLSearchParams(search).get('path') ?? '').replace(/^\/+|\/+$/g, '');
}

/** Archives the API can extract. */
export function isArchive(name: string): boolean {
  return /\.(zip|tar\.gz|tgz)$/i.test(name);
}

/** A stale save: the file changed on the server since it was read (412 FILE_CHANGED). */
export function isStale(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'FILE_CHANGED';
}

/** Chunks are sent this size (or the API's limit, if smaller), so the progress moves in steps. */
export const UPLOAD_CHUNK_BYTES = 4 * 1024 * 1024;

const p = (id: string) => ({ path: { id } });

export const filesApi = {
  list: (
    api: Api,
    serverId: string,
    query: { path: string; sort: FileSort; page: number; perPage: number },
  ) =>
    call(
      api.client.GET('/api/v1/servers/{id}/files', {
        params: {
          ...p(serverId),
          query: { path: query.path, sort: query.sort, page: query.page, per_page: query.perPage },
        },
      }),
    ),
  read: (api: Api, serverId: string, path: string) =>
    call(
      api.client.GET('/api/v1/servers/{id}/files/content', { params: { ...p(serverId), query: { path } } }),
    ),
  /**
   * Saves text: `etag` is the one read (a stale one answers 412 FILE_CHANGED), `'*'` replaces whatever
   * is there, and `undefined` creates a new file (refused if one exists).
   */
  save: (api: Api, serverId: string, path: string, content: string, etag: string | undefined) =>
    call(
      api.client.PUT('/api/v1/servers/{id}/files/content', {
        params: {
          ...p(serverId),
          query: { path },
          header: etag === undefined ? { 'if-none-match': '*' } : { 'if-match': etag },
        },
        body: { content },
      }),
    ),
  /** Saved versions of a text file, newest first (the last 20). */
  versions: (api: Api, serverId: string, path: string) =>
    call(
      api.client.GET('/api/v1/servers/{id}/files/versions', { params: { ...p(serverId), query: { path } } }),
    ),
  versionContent: (api: Api, serverId: string, path: string, version: number) =>
    call(
      api.client.GET('/api/v1/servers/{id}/files/versions/{version}', {
        params: { path: { id: serverId, version }, query: { path } },
      }),
    ),
  /** Saves a version back (a new version itself); `etag` of the content it replaces (412 if stale). */
  revert: (api: Api, serverId: string, path: string, version: number, etag: string) =>
    call(
      api.client.POST('/api/v1/servers/{id}/files/versions/{version}/revert', {
        params: { path: { id: serverId, version }, query: { path }, header: { 'if-match': etag } },
      }),
    ),
  mkdir: (api: Api, serverId: string, path: string) =>
    call(api.client.POST('/api/v1/servers/{id}/files/folders', { params: p(serverId), body: { path } })),
  move: (api: Api, serverId: string, from: string, to: string) =>
    call(api.client.POST('/api/v1/servers/{id}/files/move', { params: p(serverId), body: { from, to } })),
  copy: (api: Api, serverId: string, from: string, to: string) =>
    call(api.client.POST('/api/v1/servers/{id}/files/copy', { params: p(serverId), body: { from, to } })),
  /** Moves the entry to the server's trash (restorable for 7 days). */
  remove: (api: Api, serverId: string, path: string) =>
    call(api.client.DELETE('/api/v1/servers/{id}/files', { params: { ...p(serverId), query: { path } } })),
  trash: (api: Api, serverId: string) =>
    call(api.client.GET('/api/v1/servers/{id}/files/trash', { params: p(serverId) })),
  restore: (api: Api, serverId: string, itemId: string) =>
    call(
      api.client.POST('/api/v1/servers/{id}/files/trash/{item_id}/restore', {
        params: { path: { id: serverId, item_id: itemId } },
        body: {},
      }),
    ),
  purge: (api: Api, serverId: string, itemId: string) =>
    call(
      api.client.DELETE('/api/v1/servers/{id}/files/trash/{item_id}', {
        params: { path: { id: serverId, item_id: itemId } },
      }),
    ),
  search: (api: Api, serverId: string, query: { q: string; path: string; content: boolean }) =>
    call(
      api.client.GET('/api/v1/servers/{id}/files/search', {
        params: {
          ...p(serverId),
          query: { q: query.q, path: query.path, content: query.content, limit: 100 },
        },
      }),
    ),
  extract: (api: Api, serverId: string, path: string, to: string) =>
    call(api.client.POST('/api/v1/servers/{id}/files/extract', { params: p(serverId), body: { path, to } })),
  /** A short-lived URL that needs no header, so the browser streams the file or archive to disk. */
  downloadLink: async (api: Api, serverId: string, path: string, format?: ArchiveFormat) => {
    const link = await call(
      api.client.POST('/api/v1/servers/{id}/files/download-link', {
        params: p(serverId),
        body: format ? { path, format } : { path },
      }),
    );
    return api.url(link.url.replace(/^\/api\/v1/, ''));
  },

  /**
   * A resumable upload (docs/files.md): created with its size, then sent in chunks at the offset the
   * API confirmed; `onProgress` hears the bytes accepted so far. A failed upload is cancelled so its
   * bytes do not wait a day to expire.
   */
  async upload(
    api: Api,
    serverId: string,
    path: string,
    file: Blob,
    options: {
      overwrite?: boolean;
      onProgress?: (sent: number, total: number) => void;
      signal?: AbortSignal;
    } = {},
  ) {
    const upload = await call(
      api.client.POST('/api/v1/servers/{id}/files/uploads', {
        params: p(serverId),
        body: { path, size: file.size, overwrite: options.overwrite ?? false },
      }),
    );
    const chunk = Math.min(UPLOAD_CHUNK_BYTES, upload.max_chunk_bytes);
    let offset = upload.offset;
    let complete = false;
    options.onProgress?.(offset, file.size);
    try {
      // An empty file is one empty chunk: the API completes an upload when a chunk reaches its size.
      while (!complete) {
        options.signal?.throwIfAborted();
        const bytes = new Uint8Array(await file.slice(offset, offset + chunk).arrayBuffer());
        const state = await call(
          api.client.PATCH('/api/v1/servers/{id}/files/uploads/{upload_id}', {
            params: { path: { id: serverId, upload_id: upload.id }, header: { 'upload-offset': offset } },
            headers: { 'content-type': 'application/offset+octet-stream' },
            body: bytes as never,
            bodySerializer: (b: unknown) => b as BodyInit,
          }),
        );
        offset = state.offset;
        complete = state.complete;
        options.onProgress?.(offset, file.size);
      }
    } catch (error) {
      await api.client
        .DELETE('/api/v1/servers/{id}/files/uploads/{upload_id}', {
          params: { path: { id: serverId, upload_id: upload.id } },
        })
        .catch(() => undefined);
      throw error;
    }
    return { path: upload.path, size: file.size };
  },
};
