/**
 * Each tenant's number of servers, remembered between the writes that change it, so the unfiltered
 * server list does not count every row of the tenant on every request.
 *
 * Only correct where this process makes every insert and delete of server records: the embedded
 * database (one process owns it). Creates and deletes go through `changing()`; a count read while one
 * is in flight is not kept (the generation moved), so a remembered total is always exact.
 */
export class ServerCounts {
  private readonly totals = new Map<string, number>();
  private generation = 0;

  constructor(private readonly maxEntries = 10_000) {}

  /** The remembered total of a tenant's servers, if any. */
  get(tenantId: string): number | undefined {
    return this.totals.get(tenantId);
  }

  /** Take this before counting and pass it to `remember`. */
  version(): number {
    return this.generation;
  }

  /** Keeps a total counted since `seenVersion`, unless a create or delete happened meanwhile. */
  remember(tenantId: string, total: number, seenVersion: number): void {
    if (seenVersion !== this.generation) return;
    if (this.totals.size >= this.maxEntries && !this.totals.has(tenantId)) {
      const oldest = this.totals.keys().next().value;
      if (oldest !== undefined) this.totals.delete(oldest);
    }
    this.totals.set(tenantId, total);
  }

  /** Runs a write that adds or removes a tenant's servers; its total is forgotten before and after. */
  async changing<T>(tenantId: string, write: () => Promise<T>): Promise<T> {
    this.forget(tenantId);
    try {
      return await write();
    } finally {
      this.forget(tenantId);
    }
  }

  /**
   * A write to `tenantId`'s servers committed (`'*'`: to any tenant's), announced by the database
   * (`@minefleet/db/server-changes`): covers writes made outside `changing()` too.
   */
  changed(tenantId: string): void {
    if (tenantId !== '*') return this.forget(tenantId);
    this.generation++;
    this.totals.clear();
  }

  private forget(tenantId: string): void {
    this.generation++;
    this.totals.delete(tenantId);
  }
}
