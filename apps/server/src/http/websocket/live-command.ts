import { DomainError } from '@minefleet/domain/errors';
import { isUuid } from '@minefleet/domain/names';
import type { Actor } from '@minefleet/services/actor';
import { assertServerId } from '@minefleet/services/server-access';
import { ERROR_STATUS } from '../error-status.js';
import type { LiveOutbox } from './live-outbox.js';
import type { LiveConnectionDeps } from './live-settings.js';

/**
 * A console command sent over the socket: the same checks as POST /servers/{id}/commands (the
 * lifecycle's), run under its own request id and audited the same way.
 */
export async function runLiveCommand(
  deps: Pick<LiveConnectionDeps, 'audit' | 'contexts' | 'lifecycle'>,
  outbox: LiveOutbox,
  actor: Actor & { requestId: string },
  message: { server_id: string; command: string; id?: string },
): Promise<void> {
  const { server_id: serverId, command, id } = message;
  const { requestId } = actor;
  let outcome: 'success' | 'failure' = 'success';
  let status = 202;
  try {
    assertServerId(serverId);
    await deps.contexts.run({ requestId }, () => deps.lifecycle.sendCommand(actor, serverId, command));
    outbox.reply('command_accepted', serverId, { accepted: true, request_id: requestId }, id);
  } catch (error) {
    outcome = 'failure';
    status = error instanceof DomainError ? ERROR_STATUS[error.code] : 500;
    outbox.replyError(error, serverId, id);
  }
  // Unknown servers are not audited under an id the caller cannot see (as for HTTP, tenant-scoped).
  void deps.audit.record({
    tenantId: actor.tenantId,
    actorUserId: actor.userId,
    actorApiKeyId: actor.apiKeyId ?? null,
    action: 'server.command',
    targetType: 'servers',
    targetId: isUuid(serverId) ? serverId : null,
    serverId: isUuid(serverId) ? serverId : null,
    outcome,
    statusCode: status,
    requestId,
    details: { via: 'websocket' },
  });
}
