import type { IncomingMessage } from 'node:http';
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
    /**
     * The route also accepts a link token (`?token=`) of this purpose for the `:backup_id` it names,
     * instead of the Authorization header: a browser download cannot send a header.
     */
    link?: 'backup-download';
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

const LINK_TOKEN = Symbol('minefleet.linkToken');
type WithLinkToken = IncomingMessage & { [LINK_TOKEN]?: string };

/**
 * The app's `rewriteUrl`: takes a link token out of a download URL before routing and logging, so the
 * token never reaches a log line, and keeps it on the raw request for the auth hook.
 */
export function stripLinkToken(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  if (q < 0 || !url.slice(0, q).endsWith('/download')) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const token = params.get('token');
  if (token === null) return url;
  (req as WithLinkToken)[LINK_TOKEN] = token;
  params.delete('token');
  const rest = params.toString();
  return rest ? `${url.slice(0, q)}?${rest}` : url.slice(0, q);
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
    const link = request.routeOptions.config.link;
    const linkToken = (request.raw as WithLinkToken)[LINK_TOKEN];
    let actor: Actor;
    if (token) actor = await accounts.authenticate(token);
    else if (link && linkToken !== undefined) {
      const res = (request.params as { backup_id?: string }).backup_id ?? '';
      actor = await accounts.authenticateLink(linkToken, { pur: link, res });
    } else throw new DomainError('UNAUTHENTICATED', 'Send "Authorization: Bearer <token or API key>".');
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
