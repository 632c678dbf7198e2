import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '@minefleet/services/accounts';
import { errors } from '../schemas/common.js';
import {
  LoginBody,
  LoginResponse,
  SignupBody,
  SignupResponse,
  SwitchTenantBody,
} from '../schemas/accounts.js';
import { actorOf } from '../auth.js';
import { toTenant, toUser } from '../serializers.js';

export function authRoutes(options: {
  accounts: AccountService;
  loginRateLimitPerMinute: number;
  signupRateLimitPerHour: number;
}): FastifyPluginAsyncTypebox {
  const { accounts } = options;
  return async (app) => {
    app.post(
      '/auth/signup',
      {
        config: {
          access: 'public',
          audit: false,
          rateLimit: { max: options.signupRateLimitPerHour, timeWindow: '1 hour' },
        },
        schema: {
          tags: ['accounts'],
          summary: 'Create an account and a tenant owned by it',
          security: [],
          body: SignupBody,
          response: { 201: SignupResponse, ...errors(400, 409, 429) },
        },
      },
      async (request, reply) => {
        const { user, tenant, session } = await accounts.signup(
          {
            email: request.body.email,
            password: request.body.password,
            displayName: request.body.display_name,
            tenantName: request.body.tenant_name,
          },
          { ip: request.ip, requestId: request.id },
        );
        void reply.status(201);
        return {
          user: toUser(user),
          tenant: toTenant(tenant),
          token: session.token,
          expires_at: session.expiresAt.toISOString(),
        };
      },
    );

    app.post(
      '/auth/login',
      {
        config: {
          access: 'public',
          audit: false,
          // Per address and email: guessing one account's password is slowed without locking its owner out elsewhere.
          rateLimit: {
            max: options.loginRateLimitPerMinute,
            timeWindow: '1 minute',
            // After body parsing, so the key can include the email.
            hook: 'preHandler',
            keyGenerator: (request) => {
              const email = (request.body as { email?: unknown } | undefined)?.email;
              return `${request.ip}|${typeof email === 'string' ? email.trim().toLowerCase() : ''}`;
            },
          },
        },
        schema: {
          tags: ['accounts'],
          summary: 'Sign in and get a session token',
          description: 'A wrong password and an unknown email give the same 401 INVALID_CREDENTIALS.',
          security: [],
          body: LoginBody,
          response: { 200: LoginResponse, ...errors(400, 401, 404, 429) },
        },
      },
      async (request) => {
        const { user, tenant, role, session } = await accounts.login(
          { email: request.body.email, password: request.body.password, tenantId: request.body.tenant_id },
          { ip: request.ip, requestId: request.id },
        );
        return {
          token: session.token,
          expires_at: session.expiresAt.toISOString(),
          user: toUser(user),
          tenant: toTenant(tenant),
          role,
        };
      },
    );

    app.post(
      '/auth/switch-tenant',
      {
        config: { access: 'viewer', audit: 'auth.switch_tenant' },
        schema: {
          tags: ['accounts'],
          summary: 'Get a session token for another tenant you belong to',
          body: SwitchTenantBody,
          response: { 200: LoginResponse, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        const { tenant, role, session } = await accounts.switchTenant(actor, request.body.tenant_id);
        const me = await accounts.me({ ...actor, tenantId: tenant.id, role });
        return {
          token: session.token,
          expires_at: session.expiresAt.toISOString(),
          user: toUser(me.user),
          tenant: toTenant(tenant),
          role,
        };
      },
    );
  };
}
