import type { Database } from './database.js';

/**
 * What PostgreSQL's autovacuum does, for the embedded database: PGlite runs no background processes, so
 * nothing ever refreshes its planner statistics or vacuums dead rows. Without statistics the planner
 * takes every table for a few rows: the server list read and sorted all of a tenant's rows for a page
 * of 20 instead of walking its index (docs/benchmarks.md). PostgreSQL has autovacuum: nothing to do.
 *
 * At start: ANALYZE (a sample of each table; milliseconds on a small database). Then VACUUM (ANALYZE)
 * every `intervalMs`; the embedded database answers nothing else meanwhile, so it is kept rare.
 */
export class DatabaseUpkeep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly database: Database,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  async start(): Promise<void> {
    if (this.database.dialect !== 'pglite') return;
    await this.run('ANALYZE');
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.run('VACUUM (ANALYZE)'), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async run(what: 'ANALYZE' | 'VACUUM (ANALYZE)'): Promise<void> {
    if (this.running) return;
    this.running = this.database.upkeep(what).catch(this.onError);
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }
}
