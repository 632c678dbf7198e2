import { eq } from 'drizzle-orm';
import { servers } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import { assertActionAllowed } from '@minefleet/domain/server-state';
import type { ServerRecord } from '../servers.js';
import type { LifecycleCore } from './core.js';
import type { CrashRestarts } from './crash-restarts.js';
import type { DeleteRequest } from './settings.js';
import type { Warmups } from './warmup.js';

/**
 * Deleting a server: it is marked `deleting` at once (so nothing starts it again), then its process is
 * stopped, the hooks run (a final backup), and its files, port and record are removed. A delete cut
 * short by a control-plane restart is finished by the next reconcile.
 */
export class Deleter {
  constructor(
    private readonly core: LifecycleCore,
    private readonly warmups: Warmups,
    private readonly restarts: CrashRestarts,
  ) {}

  /** Marks the server `deleting` at once (any live process is stopped while it is in that state). */
  async mark(serverId: string): Promise<ServerRecord> {
    const server = await this.core.mustLoad(serverId);
    assertActionAllowed('delete', server.status);
    this.restarts.cancel(serverId);
    this.warmups.abort(serverId);
    this.core.launches.cancel(serverId);
    const deleting = await this.core.status.transition(serverId, 'deleting', {
      patch: { desiredState: 'stopped' },
    });
    if (!deleting)
      throw new DomainError('INVALID_TRANSITION', `Cannot delete a server that is ${server.status}.`);
    return deleting;
  }

  /** Stops the process (gracefully unless forced), lets hooks run, removes files, port and record. */
  async finish(serverId: string, request: DeleteRequest): Promise<void> {
    const { deps } = this.core;
    const server = await this.core.mustLoad(serverId);
    if (server.status !== 'deleting') return;
    const observation = await deps.runtime.inspect(serverId);
    if (observation.state === 'alive') {
      if (request.force) {
        await deps.runtime.kill(serverId);
      } else {
        await deps.runtime.stop(serverId, {
          timeoutMs: this.core.settings.stopTimeoutMs,
          beforeStop: ['say This server is being deleted.', 'save-all'],
        });
      }
    }
    await deps.hooks?.beforeRemove?.(server, { keepBackups: request.keepBackups ?? false });
    await deps.runtime.remove(serverId);
    await deps.ports.release(serverId);
    const remove = () => deps.db.system((tx) => tx.delete(servers).where(eq(servers.id, serverId)));
    await (deps.serverCounts ? deps.serverCounts.changing(server.tenantId, remove) : remove());
    this.core.log.info({ serverId }, 'server deleted');
  }
}
