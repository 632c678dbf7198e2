import { untilWritten } from '@minefleet/db/outage';
import { DomainError } from '@minefleet/domain/errors';
import { assertActionAllowed } from '@minefleet/domain/server-state';
import type { ServerRecord } from '../servers.js';
import type { LifecycleCore } from './core.js';
import type { Power } from './power.js';

export interface MaintenanceOptions {
  startAfter?: boolean | undefined;
  announce?: string | undefined;
  accept?: (server: ServerRecord) => void;
}

/**
 * Runs `work` on a stopped server in the `restoring` state, under the server's lock: a running server
 * is stopped gracefully first (players warned, world saved); power actions meanwhile answer 409
 * (INVALID_TRANSITION, or SERVER_BUSY while the lock is held). Afterwards the server is `stopped`
 * again (also when `work` fails: whatever `work` left must be startable), and started if it was
 * running before or `startAfter` asks. Resolves with `work`'s result; `accept` is called once the
 * server is in `restoring` (for a 202 answer).
 */
export function maintenance<T>(
  core: LifecycleCore,
  power: Power,
  serverId: string,
  operation: string,
  work: (server: ServerRecord) => Promise<T>,
  options: MaintenanceOptions,
): Promise<T> {
  const { status } = core;
  return core.locks.run(
    serverId,
    operation,
    async () => {
      let server = await core.mustLoad(serverId);
      assertActionAllowed('restore', server.status);
      const wasRunning = server.desiredState === 'running';
      if (server.status !== 'stopped' && server.status !== 'failed') {
        await power.stop(server, { announce: options.announce ?? 'The server is stopping for maintenance.' });
        server = await core.mustLoad(serverId);
      }
      const restoring = await status.transition(serverId, 'restoring', {
        onlyFrom: ['stopped', 'failed'],
        patch: {
          desiredState: 'stopped',
          statusReason: `${operation} in progress`,
          // Who runs it: if this replica dies, the owner's reconcile sees it gone and ends `restoring`.
          maintenanceWorker: core.deps.replicaId ?? null,
        },
      });
      if (!restoring) {
        throw new DomainError(
          'INVALID_TRANSITION',
          `Cannot start ${operation} on a server that is ${server.status}.`,
          { status: server.status },
        );
      }
      options.accept?.(restoring);
      let failure: unknown;
      let result: T | undefined;
      try {
        result = await work(restoring);
      } catch (error) {
        failure = error;
      }
      // The write that ends `restoring` outlasts a database restart: nothing else moves a server out of
      // it while this process lives (a chaos run left one `restoring` after a connection reset here).
      const after = await untilWritten(
        () =>
          status.transition(serverId, 'stopped', {
            onlyFrom: ['restoring'],
            patch: {
              statusReason: failure ? `${operation} failed: ${(failure as Error).message}` : null,
              maintenanceWorker: null,
            },
          }),
        {
          onRetry: (error, attempt) =>
            core.log.warn({ err: error, serverId, attempt }, `${operation}: the database is away; retrying`),
        },
      );
      if (after && (options.startAfter ?? wasRunning)) await power.start(after, { resetCrashes: true });
      if (failure)
        throw failure instanceof Error ? failure : new Error(`${operation} failed`, { cause: failure });
      return result as T;
    },
    core.settings.lockWaitMs,
  );
}
