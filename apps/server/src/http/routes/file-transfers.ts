import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@minefleet/domain/errors';
import type { AccountService } from '@minefleet/services/accounts';
import type { FilesService } from '@minefleet/services/files/files-service';
import { ARCHIVE_FORMATS } from '@minefleet/services/files/file-archives';
import { MAX_CHUNK_BYTES, type UploadState } from '@minefleet/services/files/file-uploads';
import { IdParams, Ref, StringEnum, Timestamp, Uuid, errors } from '../schemas/common.js';
import { FileEntry, PathQuery } from '../schemas/files.js';
import { actorOf } from '../auth.js';
import { DownloadLink, LinkToken, issueDownloadLink } from '../download-links.js';
import { audited, toFileEntry } from '../file-serializers.js';

const Format = StringEnum(ARCHIVE_FORMATS, { description: 'Archive format of a folder download.' });

const DownloadQuery = Type.Object({
  path: PathQuery.properties.path,
  format: Type.Optional(Format),
  token: Type.Optional(LinkToken),
});

/** The resource of a file download link: one server, one path, one archive format. */
function fileLinkResource(serverId: string, path: string, format: string): string {
  return JSON.stringify([serverId, path, format]);
}

/** A download link opens one download: the server, path and format it was issued for. */
const FILE_LINK = {
  purpose: 'file-download',
  resource: (request: FastifyRequest) => {
    const query = request.query as { path?: string; format?: string };
    return fileLinkResource((request.params as { id: string }).id, query.path ?? '', query.format ?? '');
  },
};

/** Downloads: a file, or a folder as an archive; and links to them for browsers. */
export function fileDownloadRoutes(
  app: Parameters<FastifyPluginAsyncTypebox>[0],
  options: { files: FilesService; accounts: AccountService },
): void {
  const { files, accounts } = options;
  const tags = ['files'];
  app.get(
    '/servers/:id/files/download',
    {
      config: { permission: 'file.read', link: FILE_LINK },
      schema: {
        tags,
        summary:
          'Download a file, or a folder as tar.gz or zip (Authorization header, or `?token=` from download-link)',
        params: IdParams,
        querystring: DownloadQuery,
        response: {
          200: {
            description: 'The file’s bytes, or the folder’s archive.',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const download = await files.download(
        actorOf(request),
        request.params.id,
        request.query.path,
        request.query.format ?? 'tar.gz',
      );
      const name =
        download.kind === 'folder'
          ? `${download.path.slice(download.path.lastIndexOf('/') + 1) || 'server'}.${download.format}`
          : download.path.slice(download.path.lastIndexOf('/') + 1) || 'file';
      void reply
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
        .header('cache-control', 'no-store');
      if (download.kind === 'folder') {
        void reply.header('content-type', download.format === 'zip' ? 'application/zip' : 'application/gzip');
        return reply.send(download.open());
      }
      void reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(download.size));
      return reply.send(Readable.from(download.open()));
    },
  );

  app.post(
    '/servers/:id/files/download-link',
    {
      config: { permission: 'file.read', audit: 'file.download_link' },
      schema: {
        tags,
        summary: 'A download URL that needs no Authorization header (for browsers), valid 5 minutes',
        params: IdParams,
        body: Type.Object({ path: PathQuery.properties.path, format: Type.Optional(Format) }),
        response: { 200: DownloadLink, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { path, format } = request.body;
      audited(request, { path, format });
      // Checked now (nothing is read), so a link is never issued for something that cannot be downloaded.
      await files.download(actor, request.params.id, path, format ?? 'tar.gz');
      return issueDownloadLink(
        accounts,
        actor,
        { pur: FILE_LINK.purpose, res: fileLinkResource(request.params.id, path, format ?? '') },
        `/servers/${request.params.id}/files/download`,
        { path, ...(format ? { format } : {}) },
      );
    },
  );
}

/** Archives (extract one, create one) and resumable uploads. */
export function fileArchiveRoutes(app: Parameters<FastifyPluginAsyncTypebox>[0], files: FilesService): void {
  const tags = ['files'];
  // ─── Archives ───────────────────────────────────────────────────────────────────────────
  app.post(
    '/servers/:id/files/extract',
    {
      config: { permission: 'file.write', audit: 'file.extract' },
      schema: {
        tags,
        summary: 'Extract a .zip or .tar.gz of the server folder into a folder',
        description:
          'Refused with 422 ARCHIVE_UNSAFE, nothing written, when an entry leaves the folder, is a link or a special file, or the archive expands beyond the size, entry-count or ratio limits.',
        params: IdParams,
        body: Type.Object({ path: PathQuery.properties.path, to: PathQuery.properties.path }),
        response: {
          200: Type.Object({ entries: Type.Integer(), bytes: Type.Integer() }),
          ...errors(400, 401, 403, 404, 409, 422),
        },
      },
    },
    async (request) => {
      audited(request, { path: request.body.path, to: request.body.to });
      return files.extract(actorOf(request), request.params.id, request.body.path, request.body.to);
    },
  );

  app.post(
    '/servers/:id/files/archive',
    {
      config: { permission: 'file.write', audit: 'file.archive' },
      schema: {
        tags,
        summary: 'Pack a folder into a .zip or .tar.gz file in the server folder',
        params: IdParams,
        body: Type.Object({
          path: PathQuery.properties.path,
          to: PathQuery.properties.path,
          format: Format,
        }),
        response: { 201: Ref(FileEntry), ...errors(400, 401, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const { path, to, format } = request.body;
      audited(request, { path, to, format });
      const entry = await files.archive(actorOf(request), request.params.id, path, to, format);
      void reply.status(201);
      return toFileEntry(entry);
    },
  );

  // ─── Resumable uploads ──────────────────────────────────────────────────────────────────
  const Upload = Type.Object({
    id: Uuid,
    path: Type.String(),
    size: Type.Integer({ minimum: 0 }),
    offset: Type.Integer({
      minimum: 0,
      description: 'Bytes received so far: send the next chunk from here.',
    }),
    complete: Type.Boolean(),
    expires_at: Timestamp,
    max_chunk_bytes: Type.Integer(),
  });
  const UploadParams = Type.Object({ id: Uuid, upload_id: Uuid });
  const toUpload = (u: UploadState, complete = false) => ({
    id: u.id,
    path: u.path,
    size: u.size,
    offset: u.offset,
    complete,
    expires_at: u.expiresAt,
    max_chunk_bytes: MAX_CHUNK_BYTES,
  });

  // Chunks arrive as raw bytes and are streamed to disk, never buffered whole.
  app.addContentTypeParser('application/offset+octet-stream', (_request, payload, done) =>
    done(null, payload),
  );

  app.post(
    '/servers/:id/files/uploads',
    {
      config: { permission: 'file.write', audit: 'file.upload_create' },
      schema: {
        tags,
        summary:
          'Start a resumable upload (then PATCH chunks ≤ 50 MB at the offset; HEAD/GET tells the offset)',
        params: IdParams,
        body: Type.Object({
          path: PathQuery.properties.path,
          size: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
          overwrite: Type.Optional(Type.Boolean({ default: false })),
        }),
        response: { 201: Upload, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { path, size, overwrite } = request.body;
      audited(request, { path, size });
      const upload = await files.createUpload(
        actorOf(request),
        request.params.id,
        path,
        size,
        overwrite ?? false,
      );
      void reply
        .status(201)
        .header('location', `/api/v1/servers/${request.params.id}/files/uploads/${upload.id}`)
        .header('upload-offset', '0');
      return toUpload(upload);
    },
  );

  app.get(
    '/servers/:id/files/uploads/:upload_id',
    {
      config: { permission: 'file.write' },
      schema: {
        tags,
        summary: 'Where an upload stands (also as HEAD: the Upload-Offset header)',
        params: UploadParams,
        response: { 200: Upload, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const state = await files.uploadState(actorOf(request), request.params.id, request.params.upload_id);
      void reply
        .header('upload-offset', String(state.offset))
        .header('upload-length', String(state.size))
        .header('cache-control', 'no-store');
      return toUpload(state);
    },
  );

  app.patch(
    '/servers/:id/files/uploads/:upload_id',
    {
      config: { permission: 'file.write', audit: 'file.upload_chunk' },
      bodyLimit: MAX_CHUNK_BYTES + 1024,
      schema: {
        tags,
        summary: 'Append a chunk (Content-Type: application/offset+octet-stream) at the Upload-Offset header',
        params: UploadParams,
        headers: Type.Object({ 'upload-offset': Type.Integer({ minimum: 0 }) }),
        response: { 200: Upload, ...errors(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!body || typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function') {
        throw new DomainError(
          'UNSUPPORTED_MEDIA_TYPE',
          'Send the chunk as Content-Type: application/offset+octet-stream.',
        );
      }
      const { state, complete } = await files.appendUpload(
        actorOf(request),
        request.params.id,
        request.params.upload_id,
        request.headers['upload-offset'],
        body as AsyncIterable<Uint8Array>,
      );
      audited(request, { path: state.path, offset: state.offset, complete });
      void reply.header('upload-offset', String(state.offset));
      return toUpload(state, complete);
    },
  );

  app.delete(
    '/servers/:id/files/uploads/:upload_id',
    {
      config: { permission: 'file.write', audit: 'file.upload_cancel' },
      schema: {
        tags,
        summary: 'Cancel an upload (its bytes are removed)',
        params: UploadParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await files.cancelUpload(actorOf(request), request.params.id, request.params.upload_id);
      return reply.status(204).send(null);
    },
  );
}
