import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '@minefleet/services/accounts';
import type { SignupService } from '@minefleet/services/signup';
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
import { contextOf } from './identity.js';

export function authRoutes(options: {
  accounts: AccountService;
  /** Sign-up: the same answer for a new and a taken address. */
  signups: SignupService;
  loginRateLimitPerMinute: number;
  signupRateLimitPerHour: number;
}): FastifyPluginAsyncTypebox {
  const { accounts } = options;
  return async (app) => {
    app.post(
      '/auth/signup',
      {
        config: {
          permission: 'public',
          audit: false,
          rateLimit: { max: options.signupRateLimitPerHour, timeWindow: '1 hour' },
        },
        schema: {
          tags: ['accounts'],
          summary: 'Create an account and a tenant owned by it, then sign in with POST /auth/login',
          description:
            'Answers 202 with the same body whether or not the address has an account, so sign-up does ' +
            'not tell who is registered. A new address gets an unverified account (with its own tenant) ' +
            'and a verification link by mail; for an address that has an account nothing is created and ' +
            'its owner is mailed a notice. Sign in with the same email and password to get a session.',
          security: [],
          body: SignupBody,
          response: { 202: SignupResponse, ...errors(400, 429) },
        },
      },
      async (request, reply) => {
        const answer = await options.signups.signup(
          {
            email: request.body.email,
            password: request.body.password,
            displayName: request.body.display_name,
            tenantName: request.body.tenant_name,
          },
          contextOf(request),
        );
        void reply.status(202);
        return answer;
      },
    );

    app.post(
      '/auth/login',
      {
        config: {
          permission: 'public',
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
          contextOf(request),
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
        config: { permission: 'account', audit: 'auth.switch_tenant' },
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
