import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '@minefleet/services/accounts';
import type { PlatformAdmins } from '@minefleet/services/platform-admins';
import type { ServerService } from '@minefleet/services/servers';
import { errors } from '../schemas/common.js';
import { MeResponse } from '../schemas/accounts.js';
import { actorOf } from '../auth.js';
import { toTenant, toUser } from '../serializers.js';

export function meRoutes(options: {
  accounts: AccountService;
  servers: ServerService;
  admins: PlatformAdmins;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/me',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['accounts'],
          summary: 'The caller: user, tenant, role, every tenant they belong to, quota usage',
          response: { 200: MeResponse, ...errors(401) },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        const [me, quota, isPlatformAdmin] = await Promise.all([
          options.accounts.me(actor),
          options.servers.usage(actor),
          // Promotes an account named in MINEFLEET_PLATFORM_ADMINS that signed up after the start, so
          // that the dashboard shows it the administration pages from its first sign-in.
          options.admins.isPlatformAdmin(actor),
        ]);
        return {
          user: { ...toUser(me.user), is_platform_admin: isPlatformAdmin },
          tenant: toTenant(me.tenant),
          role: me.role,
          tenants: me.tenants.map((t) => ({ tenant: toTenant(t.tenant), role: t.role })),
          quota,
          auth: actor.apiKeyId
            ? { method: 'api_key' as const, api_key_id: actor.apiKeyId }
            : { method: 'session' as const },
        };
      },
    );
  };
}
