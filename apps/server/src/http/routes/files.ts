import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '@minefleet/services/accounts';
import { MAX_EDIT_BYTES, type FilesService } from '@minefleet/services/files/files-service';
import { IdParams, Ref, errors } from '../schemas/common.js';
import {
  ChmodBody,
  CopyBody,
  FileEntry,
  FileList,
  FileListQuery,
  MoveBody,
  PathBody,
  PathQuery,
  SearchQuery,
  SearchResult,
  TextFile,
  TrashItem,
  WriteBody,
  WriteHeaders,
} from '../schemas/files.js';
import { actorOf } from '../auth.js';
import { audited, toFileEntry, toTextFile, toTrashItem } from '../file-serializers.js';
import { fileConfigRoutes } from './file-config.js';
import { fileHistoryRoutes } from './file-history.js';
import { fileArchiveRoutes, fileDownloadRoutes } from './file-transfers.js';

/**
 * A server's files (`/servers/{id}/files…`, docs/files.md). Every path is checked by the files service;
 * every change is audited with its path. Roles: viewers list, read, search and download; operators
 * write, move, copy, delete (to the trash), restore and chmod; admins empty trash items and save
 * server.properties (the server's settings).
 */
export function fileRoutes(options: {
  files: FilesService;
  accounts: AccountService;
}): FastifyPluginAsyncTypebox {
  const { files, accounts } = options;
  const tags = ['files'];
  return async (app) => {
    app.get(
      '/servers/:id/files',
      {
        config: { permission: 'file.read' },
        schema: {
          tags,
          summary: 'A folder of the server: entries with size, mtime, type and mode; sorted and paged',
          params: IdParams,
          querystring: FileListQuery,
          response: { 200: FileList, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const q = request.query;
        const page = q.page ?? 1;
        const perPage = q.per_page ?? 100;
        const listing = await files.list(actorOf(request), request.params.id, q.path ?? '', {
          sort: q.sort,
          page,
          perPage,
        });
        return {
          path: listing.path,
          entries: listing.entries.map(toFileEntry),
          pagination: { page, per_page: perPage, total: listing.total },
        };
      },
    );

    app.get(
      '/servers/:id/files/stat',
      {
        config: { permission: 'file.read' },
        schema: {
          tags,
          summary: 'One file or folder',
          params: IdParams,
          querystring: PathQuery,
          response: { 200: Ref(FileEntry), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) =>
        toFileEntry(await files.stat(actorOf(request), request.params.id, request.query.path)),
    );

    app.get(
      '/servers/:id/files/content',
      {
        config: { permission: 'file.read' },
        schema: {
          tags,
          summary:
            'A text file with its detected encoding and ETag (binary files: `binary: true`, download them)',
          params: IdParams,
          querystring: PathQuery,
          response: { 200: Ref(TextFile), ...errors(400, 401, 403, 404, 409, 413) },
        },
      },
      async (request, reply) => {
        const file = await files.read(actorOf(request), request.params.id, request.query.path);
        void reply.header('etag', file.etag).header('cache-control', 'no-store');
        return toTextFile(file);
      },
    );

    app.put(
      '/servers/:id/files/content',
      {
        config: { permission: 'file.write', audit: 'file.write' },
        // A text of MAX_EDIT_BYTES, JSON-escaped (a non-ASCII character may take up to 6 bytes).
        bodyLimit: 6 * MAX_EDIT_BYTES + 4096,
        schema: {
          tags,
          summary: 'Save a text file (atomic; If-Match required to replace an existing file)',
          description:
            'A stale If-Match is refused with 412 FILE_CHANGED and nothing is written. Each save becomes a version (the last 20 are kept). Saving server.properties changes the server settings (admin).',
          params: IdParams,
          querystring: PathQuery,
          headers: WriteHeaders,
          body: WriteBody,
          response: { 200: Ref(TextFile), 201: Ref(TextFile), ...errors(400, 401, 403, 404, 409, 412, 413) },
        },
      },
      async (request, reply) => {
        audited(request, { path: request.query.path });
        const saved = await files.write(actorOf(request), request.params.id, request.query.path, {
          content: request.body.content,
          encoding: request.body.encoding,
          ifMatch: request.headers['if-match'],
          ifNoneMatch: request.headers['if-none-match'] === '*',
        });
        void reply.status(saved.created ? 201 : 200).header('etag', saved.etag);
        return toTextFile(saved);
      },
    );

    app.post(
      '/servers/:id/files/folders',
      {
        config: { permission: 'file.write', audit: 'file.mkdir' },
        schema: {
          tags,
          summary: 'Create a folder (and its parents)',
          params: IdParams,
          body: PathBody,
          response: { 201: Ref(FileEntry), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        audited(request, { path: request.body.path });
        const entry = await files.mkdir(actorOf(request), request.params.id, request.body.path);
        void reply.status(201);
        return toFileEntry(entry);
      },
    );

    app.post(
      '/servers/:id/files/move',
      {
        config: { permission: 'file.write', audit: 'file.move' },
        schema: {
          tags,
          summary: 'Rename or move a file or folder',
          params: IdParams,
          body: MoveBody,
          response: { 200: Ref(FileEntry), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { from, to, overwrite } = request.body;
        audited(request, { from, to });
        return toFileEntry(await files.move(actorOf(request), request.params.id, from, to, overwrite));
      },
    );

    app.post(
      '/servers/:id/files/copy',
      {
        config: { permission: 'file.write', audit: 'file.copy' },
        schema: {
          tags,
          summary: 'Copy a file or a folder',
          params: IdParams,
          body: CopyBody,
          response: { 201: Ref(FileEntry), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { from, to } = request.body;
        audited(request, { from, to });
        const entry = await files.copy(actorOf(request), request.params.id, from, to);
        void reply.status(201);
        return toFileEntry(entry);
      },
    );

    app.delete(
      '/servers/:id/files',
      {
        config: { permission: 'file.write', audit: 'file.delete' },
        schema: {
          tags,
          summary: 'Move a file or folder to the server’s trash (restorable for 7 days)',
          params: IdParams,
          querystring: PathQuery,
          response: { 200: Ref(TrashItem), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        audited(request, { path: request.query.path });
        return toTrashItem(await files.delete(actorOf(request), request.params.id, request.query.path));
      },
    );

    fileHistoryRoutes(app, files);

    app.post(
      '/servers/:id/files/chmod',
      {
        config: { permission: 'file.write', audit: 'file.chmod' },
        schema: {
          tags,
          summary: 'Set the permission bits of a file or folder (the owner keeps read and write)',
          params: IdParams,
          body: ChmodBody,
          response: { 200: Ref(FileEntry), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        audited(request, { path: request.body.path, mode: request.body.mode });
        return toFileEntry(
          await files.chmod(
            actorOf(request),
            request.params.id,
            request.body.path,
            parseInt(request.body.mode, 8),
          ),
        );
      },
    );

    app.get(
      '/servers/:id/files/search',
      {
        config: { permission: 'file.read' },
        schema: {
          tags,
          summary: 'Find files by name or by content (bounded: results, files visited, bytes read, 5 s)',
          params: IdParams,
          querystring: SearchQuery,
          response: { 200: SearchResult, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) =>
        files.search(actorOf(request), request.params.id, {
          q: request.query.q,
          path: request.query.path,
          content: request.query.content,
          limit: request.query.limit,
        }),
    );

    fileDownloadRoutes(app, { files, accounts });
    fileConfigRoutes(app, files);
    fileArchiveRoutes(app, files);
  };
}
