import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '@minefleet/domain/errors';
import type { FilesService } from '@minefleet/services/files/files-service';
import { CONFIG_FORMATS } from '@minefleet/services/files/config-documents';
import { IdParams, StringEnum, errors } from '../schemas/common.js';
import { PathQuery, WriteHeaders } from '../schemas/files.js';
import { actorOf } from '../auth.js';
import { audited } from '../file-serializers.js';

/** Structured YAML / TOML: a config file read and patched as values, comments kept. */
export function fileConfigRoutes(app: Parameters<FastifyPluginAsyncTypebox>[0], files: FilesService): void {
  const tags = ['files'];
  const ConfigFile = Type.Object({
    path: Type.String(),
    format: StringEnum(CONFIG_FORMATS),
    etag: Type.String(),
    values: Type.Unknown({ description: 'The file’s values as JSON.' }),
    changed: Type.Optional(Type.Boolean()),
  });
  // Unknown in the schema, checked here: the schema layer coerces types (60 would become "60").
  const ConfigScalar = Type.Unknown({ description: 'A string, number, boolean or null.' });
  const scalarOf = (value: unknown): string | number | boolean | null => {
    if (value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))
      return value;
    if (typeof value === 'string' && value.length <= 65_536) return value;
    throw new DomainError(
      'VALIDATION_FAILED',
      'A value is a string (≤ 65536 characters), number, boolean or null.',
      {
        field: 'set.value',
      },
    );
  };

  app.get(
    '/servers/:id/files/config',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary: 'The values of a YAML or TOML file (Paper, Spigot, Bukkit, Velocity, plugins)',
        params: IdParams,
        querystring: PathQuery,
        response: { 200: ConfigFile, ...errors(400, 401, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const file = await files.readConfig(actorOf(request), request.params.id, request.query.path);
      void reply.header('etag', file.etag);
      return file;
    },
  );

  app.patch(
    '/servers/:id/files/config',
    {
      config: { permission: 'file.write', audit: 'file.config_edit' },
      schema: {
        tags,
        summary: 'Change values of a YAML or TOML file, keeping every other byte (comments, layout)',
        description:
          'Each edit names an existing single value by its key path, e.g. `["proxies", "velocity", "enabled"]`. Saving without a change writes nothing; one changed value changes only its line.',
        params: IdParams,
        querystring: PathQuery,
        headers: WriteHeaders,
        body: Type.Object({
          set: Type.Array(
            Type.Object({
              key: Type.Array(Type.Union([Type.String({ maxLength: 256 }), Type.Integer({ minimum: 0 })]), {
                minItems: 1,
                maxItems: 32,
              }),
              value: ConfigScalar,
            }),
            { maxItems: 500 },
          ),
        }),
        response: { 200: ConfigFile, ...errors(400, 401, 403, 404, 409, 412, 413) },
      },
    },
    async (request, reply) => {
      audited(request, { path: request.query.path, keys: request.body.set.map((e) => e.key.join('.')) });
      const result = await files.editConfig(
        actorOf(request),
        request.params.id,
        request.query.path,
        request.body.set.map((e) => ({ key: e.key, value: scalarOf(e.value) })),
        request.headers['if-match'],
      );
      void reply.header('etag', result.etag);
      return result;
    },
  );
}
