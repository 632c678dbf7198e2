import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { permissionsOf } from '@minefleet/services/actor';
import type { AccountService } from '@minefleet/services/accounts';
import type { ServerService } from '@minefleet/services/servers';
import { errors } from '../schemas/common.js';
import { MeResponse } from '../schemas/accounts.js';
import { actorOf } from '../auth.js';
import { toTenant, toUser } from '../serializers.js';

export function meRoutes(options: {
  accounts: AccountService;
  servers: ServerService;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/me',
      {
        config: { permission: 'account' },
        schema: {
          tags: ['accounts'],
          summary: 'The caller: user, tenant, role, every tenant they belong to, quota usage',
          response: { 200: MeResponse, ...errors(401) },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        const [me, quota] = await Promise.all([options.accounts.me(actor), options.servers.usage(actor)]);
        return {
          user: toUser(me.user),
          tenant: toTenant(me.tenant),
          role: me.role,
          custom_role: me.customRole,
          tenants: me.tenants.map((t) => ({ tenant: toTenant(t.tenant), role: t.role })),
          quota,
          permissions: [...permissionsOf(actor)],
          auth: actor.apiKeyId
            ? { method: 'api_key' as const, api_key_id: actor.apiKeyId }
            : { method: 'session' as const },
        };
      },
    );
  };
}
