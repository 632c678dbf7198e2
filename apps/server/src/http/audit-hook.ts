import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '@minefleet/services/audit';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the action was about beyond the URL's ids (a file path), recorded with the event. */
    auditDetails?: Record<string, unknown>;
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Records every mutating call (who, what, when, outcome) after the answer is sent, so auditing adds no
 * latency. Routes name their action in `config.audit`; sign-in routes audit inside the service.
 */
export function registerAuditHook(app: FastifyInstance, audit: AuditLog): void {
  app.addHook('onResponse', async (request, reply) => {
    if (!MUTATING.has(request.method)) return;
    const configured = request.routeOptions.config.audit;
    if (configured === false) return;
    const actor = request.actor;
    // Unauthenticated attempts are nobody's calls; logging them would let anyone fill the audit table.
    if (!actor) return;
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const url = request.routeOptions.url ?? request.url;
    const action = configured ?? `${request.method} ${url}`;
    const serverId = url.startsWith('/api/v1/servers/:id') ? params.id : undefined;
    await audit.record({
      tenantId: actor.tenantId,
      actorUserId: actor.userId,
      actorApiKeyId: actor.apiKeyId ?? null,
      action,
      targetType: url.split('/')[3] ?? null,
      targetId: params.id ?? params.user_id ?? params.backup_id ?? null,
      serverId: serverId ?? null,
      outcome: reply.statusCode < 400 ? 'success' : 'failure',
      statusCode: reply.statusCode,
      requestId: request.id,
      ip: request.ip,
      details: request.auditDetails ?? null,
    });
  });
}
