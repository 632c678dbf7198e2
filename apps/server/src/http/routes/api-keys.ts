import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiKeyService } from '@minefleet/services/api-keys';
import { IdParams, PageQuery, errors } from '../schemas/common.js';
import { ApiKeyList, CreateApiKeyBody, CreatedApiKey } from '../schemas/accounts.js';
import { actorOf } from '../auth.js';
import { toApiKey } from '../serializers.js';
import { parseTimestamp } from '../time.js';

export function apiKeyRoutes(options: { apiKeys: ApiKeyService }): FastifyPluginAsyncTypebox {
  const { apiKeys } = options;
  return async (app) => {
    app.post(
      '/api-keys',
      {
        config: { permission: 'apikey.create', audit: 'api_key.create' },
        schema: {
          tags: ['accounts'],
          summary: 'Create an API key (shown once)',
          description: 'The key acts as you, with your role in this tenant. Only its hash is stored.',
          body: CreateApiKeyBody,
          response: { 201: CreatedApiKey, ...errors(400, 401, 403) },
        },
      },
      async (request, reply) => {
        const expiresAt = request.body.expires_at
          ? parseTimestamp(request.body.expires_at, 'expires_at')
          : undefined;
        const { record, key } = await apiKeys.create(actorOf(request), {
          name: request.body.name,
          expiresAt,
          permissions: request.body.permissions,
        });
        void reply.status(201);
        const shown = toApiKey(record);
        return {
          id: shown.id,
          name: shown.name,
          prefix: shown.prefix,
          permissions: shown.permissions,
          key,
          expires_at: shown.expires_at,
          created_at: shown.created_at,
        };
      },
    );

    app.get(
      '/api-keys',
      {
        config: { permission: 'apikey.read' },
        schema: {
          tags: ['accounts'],
          summary: 'List API keys (yours; admins see every key of the tenant)',
          querystring: Type.Object(PageQuery),
          response: { 200: ApiKeyList, ...errors(400, 401) },
        },
      },
      async (request) => {
        const page = { page: request.query.page ?? 1, perPage: request.query.per_page ?? 20 };
        const result = await apiKeys.list(actorOf(request), page);
        return {
          api_keys: result.items.map(toApiKey),
          pagination: { page: page.page, per_page: page.perPage, total: result.total },
        };
      },
    );

    app.delete(
      '/api-keys/:id',
      {
        config: { permission: 'apikey.delete', audit: 'api_key.revoke' },
        schema: {
          tags: ['accounts'],
          summary: 'Revoke an API key',
          params: IdParams,
          response: { 204: Type.Null(), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        await apiKeys.revoke(actorOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
