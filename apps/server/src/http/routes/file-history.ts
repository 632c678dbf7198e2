import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FilesService } from '@minefleet/services/files/files-service';
import { IdParams, Ref, errors } from '../schemas/common.js';
import {
  FileVersion,
  PathQuery,
  RestoreBody,
  TextFile,
  TrashItem,
  TrashParams,
  VersionContent,
  VersionParams,
  WriteHeaders,
} from '../schemas/files.js';
import { actorOf } from '../auth.js';
import { audited, toTextFile, toTrashItem, toVersion } from '../file-serializers.js';

/** The trash (restore, empty an item) and the saved versions of a file (read, revert). */
export function fileHistoryRoutes(app: Parameters<FastifyPluginAsyncTypebox>[0], files: FilesService): void {
  const tags = ['files'];
  app.get(
    '/servers/:id/files/trash',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary: 'What the server’s trash holds (newest first)',
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(Ref(TrashItem)) }), ...errors(400, 401, 404) },
      },
    },
    async (request) => ({
      items: (await files.listTrash(actorOf(request), request.params.id)).map(toTrashItem),
    }),
  );

  app.post(
    '/servers/:id/files/trash/:item_id/restore',
    {
      config: { permission: 'file.write', audit: 'file.restore' },
      schema: {
        tags,
        summary: 'Put a deleted file or folder back (where it was, or at `path`)',
        params: TrashParams,
        body: RestoreBody,
        response: { 200: Ref(TrashItem), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      audited(request, { item_id: request.params.item_id, path: request.body?.path });
      return toTrashItem(
        await files.restore(actorOf(request), request.params.id, request.params.item_id, request.body?.path),
      );
    },
  );

  app.delete(
    '/servers/:id/files/trash/:item_id',
    {
      config: { permission: 'file.purge', audit: 'file.purge' },
      schema: {
        tags,
        summary: 'Remove a trash item for good',
        params: TrashParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      audited(request, { item_id: request.params.item_id });
      await files.purge(actorOf(request), request.params.id, request.params.item_id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/servers/:id/files/versions',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary: 'Saved versions of a text file (newest first; the last 20 are kept)',
        params: IdParams,
        querystring: PathQuery,
        response: {
          200: Type.Object({ versions: Type.Array(Ref(FileVersion)) }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => ({
      versions: (await files.listVersions(actorOf(request), request.params.id, request.query.path)).map(
        toVersion,
      ),
    }),
  );

  app.get(
    '/servers/:id/files/versions/:version',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary: 'The content of one saved version',
        params: VersionParams,
        querystring: PathQuery,
        response: { 200: VersionContent, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const v = await files.versionContent(
        actorOf(request),
        request.params.id,
        request.query.path,
        request.params.version,
      );
      return { path: request.query.path, ...v };
    },
  );

  app.post(
    '/servers/:id/files/versions/:version/revert',
    {
      config: { permission: 'file.write', audit: 'file.revert' },
      schema: {
        tags,
        summary: 'Save a version back as the file’s content (itself a new version)',
        params: VersionParams,
        querystring: PathQuery,
        headers: WriteHeaders,
        response: { 200: Ref(TextFile), ...errors(400, 401, 403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      audited(request, { path: request.query.path, version: request.params.version });
      const saved = await files.revert(
        actorOf(request),
        request.params.id,
        request.query.path,
        request.params.version,
        request.headers['if-match'],
      );
      void reply.header('etag', saved.etag);
      return toTextFile(saved);
    },
  );
}
