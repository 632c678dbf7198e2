import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '@minefleet/domain/errors';
import { roleAtLeast, type Role } from '@minefleet/domain/roles';
import type { Actor } from '@minefleet/services/actor';
import type { AccountService } from '@minefleet/services/accounts';

/** Who may call a route: anyone, or a member of the tenant with at least this role. */
export type Access = 'public' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route: checked at startup, so no route is left unguarded by accident. */
    access?: Access;
    /** Audit action name for mutating routes, e.g. `server.create`; `false` when the service audits itself. */
    audit?: string | false;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/** The authenticated actor of a request whose route requires a role (never null there). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
  return request.actor;
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}

/**
 * Authenticates requests (session JWT or `mf_` API key) and enforces each route's minimum role.
 * Every route must declare `config.access`; a route without it fails at startup.
 */
export function registerAuth(app: FastifyInstance, accounts: AccountService): void {
  app.decorateRequest('actor', null);

  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (!access && !route.url.startsWith('/api/v1/docs')) {
      throw new Error(`Route ${route.method.toString()} ${route.url} does not declare config.access.`);
    }
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access ?? 'public';
    if (access === 'public') return;
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new DomainError('UNAUTHENTICATED', 'Send "Authorization: Bearer <token or API key>".');
    const actor = await accounts.authenticate(token);
    actor.requestId = request.id;
    request.actor = actor;
    if (!roleAtLeast(actor.role, access)) {
      throw new DomainError('FORBIDDEN', `This needs the ${access} role; you are ${actor.role}.`, {
        required: access,
        role: actor.role,
      });
    }
  });
}
