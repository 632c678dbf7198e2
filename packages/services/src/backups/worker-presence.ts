import { LeaseKeeper } from '../leases-keeper.js';
import type { Leases } from '../leases.js';
import type { Logger } from '../logger.js';

const PREFIX = 'backups/worker/';

/**
 * Tells whether the control plane named in a backup's `worker_id` is alive, so a job it left behind can
 * be failed without touching the jobs of live replicas.
 *
 * - `sole` (the embedded database: only one process can open it): every other worker is dead.
 * - `leases` (PostgreSQL, possibly several replicas): each control plane keeps a lease
 *   `backups/worker/<id>` for as long as it runs; a worker without an unexpired lease is dead. A
 *   control plane killed with SIGKILL is seen dead once its lease expires (`ttlMs`).
 */
export class WorkerPresence {
  private keeper: LeaseKeeper | undefined;

  constructor(
    readonly workerId: string,
    private readonly mode:
      { kind: 'sole' } | { kind: 'leases'; leases: Leases; ttlMs: number; logger: Logger },
  ) {}

  async start(): Promise<void> {
    if (this.mode.kind === 'sole' || this.keeper) return;
    const { leases, ttlMs, logger } = this.mode;
    await leases.acquire(`${PREFIX}${this.workerId}`, this.workerId, ttlMs);
    this.keeper = new LeaseKeeper({
      leases,
      name: `${PREFIX}${this.workerId}`,
      holder: this.workerId,
      ttlMs,
      onError: (error) => logger.warn({ err: error }, 'backup worker lease not renewed'),
    });
    this.keeper.start();
  }

  async alive(workerId: string): Promise<boolean> {
    if (workerId === this.workerId) return true;
    if (this.mode.kind === 'sole') return false;
    return (await this.mode.leases.current(`${PREFIX}${workerId}`)) !== null;
  }

  async stop(): Promise<void> {
    await this.keeper?.stop();
    this.keeper = undefined;
  }
}
