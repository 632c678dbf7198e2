import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '@minefleet/domain/errors';
import { ROLE_PERMISSIONS, isPermission, type RouteAccess } from '@minefleet/domain/permissions';
import type { Actor } from '@minefleet/services/actor';
import type { AccountService } from '@minefleet/services/accounts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The named permission the route needs (docs/security.md), or `public` / `account` (any signed-in
     * member acting on their own account). Every route declares one; a test fails for a route without.
     */
    permission?: RouteAccess;
    /** Audit action name for mutating routes, e.g. `server.create`; `false` when the service audits itself. */
    audit?: string | false;
    /**
     * The route also accepts a link token (`?token=`) instead of the Authorization header (a browser
     * download cannot send one): a token of this purpose, bound to the resource the request names.
     */
    link?: RouteLink;
  }
  interface FastifyRequest {
    actor: Actor | null;
    /** What the audit record adds to the action (e.g. which player), set by the handler. */
    auditDetails?: Record<string, unknown>;
  }
  interface FastifyInstance {
    /** Every route with what it declared, for the test that every route names its permission. */
    routeAccess: RouteDeclaration[];
  }
}

/** How a route that accepts link tokens names what a token must be bound to. */
export interface RouteLink {
  /** The token's purpose, as the route that issues the link sets it. */
  purpose: string;
  /** The resource this request addresses, derived as the issuing route derived it. */
  resource(request: FastifyRequest): string;
}

export interface RouteDeclaration {
  method: string;
  url: string;
  permission: RouteAccess;
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
 * What a route declares, one entry per method (HEAD aside). Throws for a route that names no permission
 * or an unknown one, so a new route cannot ship unguarded by omission. The API docs' own routes are
 * exempt (the swagger plugin registers them).
 */
export function routeDeclarations(route: {
  method: string | string[];
  url: string;
  config?: { permission?: RouteAccess };
}): RouteDeclaration[] {
  if (route.url.startsWith('/api/v1/docs')) return [];
  const permission = route.config?.permission;
  if (!permission) {
    throw new Error(`Route ${route.method.toString()} ${route.url} does not declare config.permission.`);
  }
  if (permission !== 'public' && permission !== 'account' && !isPermission(permission)) {
    throw new Error(
      `Route ${route.method.toString()} ${route.url} names an unknown permission "${String(permission)}".`,
    );
  }
  return [route.method]
    .flat()
    .filter((method) => method !== 'HEAD')
    .map((method) => ({ method, url: route.url, permission }));
}

/**
 * Authenticates requests (session JWT, `mf_` API key or a route's link token) and enforces the
 * permission each route names. A route without `config.permission` fails at startup.
 */
export function registerAuth(app: FastifyInstance, accounts: AccountService): void {
  app.decorateRequest('actor', null);
  const declared: RouteDeclaration[] = [];
  app.decorate('routeAccess', declared);

  app.addHook('onRoute', (route) => {
    declared.push(...routeDeclarations(route));
  });

  app.addHook('onRequest', async (request) => {
    const { permission } = request.routeOptions.config;
    // Routes registered outside the API (the docs page) declare nothing and need no credential.
    if (permission === undefined || permission === 'public') return;
    const token = bearerToken(request.headers.authorization);
    const link = request.routeOptions.config.link;
    const linkToken = (request.raw as WithLinkToken)[LINK_TOKEN];
    let actor: Actor;
    if (token) actor = await accounts.authenticate(token);
    else if (link && linkToken !== undefined) {
      actor = await accounts.authenticateLink(linkToken, {
        pur: link.purpose,
        res: link.resource(request),
      });
    } else throw new DomainError('UNAUTHENTICATED', 'Send "Authorization: Bearer <token or API key>".');
    actor.requestId = request.id;
    request.actor = actor;
    // A tenant that requires a second factor answers only the account routes (to turn it on).
    if (actor.secondFactorMissing && permission !== 'account') {
      throw new DomainError(
        'MFA_ENROLMENT_REQUIRED',
        'This team requires two-factor sign-in: turn it on in your account first.',
      );
    }
    if (permission === 'account') return;
    const held = actor.permissions ?? ROLE_PERMISSIONS[actor.role];
    if (!held.has(permission)) {
      throw new DomainError('FORBIDDEN', `This needs the ${permission} permission.`, {
        required: permission,
        role: actor.role,
      });
    }
  });
}
