/**
 * Pages of the server list, already serialised, kept per tenant between the writes that change them.
 * A page is produced by the ordinary tenant read (row-level security, as that tenant and user) and is
 * only ever answered again for the same tenant and user (`key()`). Two ways of knowing a page is still
 * current, one per database:
 *
 * - **Announced** (the embedded database): this process is told of every committed write to `servers`
 *   before that write returns to its caller: triggers announce each one (`@minefleet/db/server-changes`)
 *   and the database's one session is this process's. `changed()` drops the tenant's pages. A read that
 *   was under way when a write to its tenant committed may have seen the rows from before it: `seen()`
 *   is taken before the read and `remember()` refuses the page if a change was announced since, so a
 *   kept page is never older than the newest write announced for its tenant.
 * - **Versioned** (PostgreSQL, where other replicas write too): the page is kept with the tenant's
 *   server list version read before it in the same round trip (`rememberAt()`), and answered again only
 *   while a fresh read of that version gives the same number (`versioned()`); every committed write to the
 *   tenant's servers raises it, from whichever replica.
 */
export class ServerPages {
  private readonly pages = new Map<string, { tenantId: string; body: string; version?: string }>();
  /** The sequence number of each tenant's last announced change. */
  private readonly changedAt = new Map<string, number>();
  /** Changes that may concern every tenant ('*', or forgotten per-tenant sequence numbers). */
  private allChangedAt = 0;
  private sequence = 0;

  constructor(
    private readonly maxPages = 256,
    private readonly maxTenants = 10_000,
  ) {}

  /** A page's key: who asked (the row-level-security scope the page was read under) and what. */
  static key(tenantId: string, userId: string | undefined, query: string): string {
    return `${tenantId}\u0000${userId ?? ''}\u0000${query}`;
  }

  get(key: string): string | undefined {
    const page = this.pages.get(key);
    return page?.body;
  }

  /** Versioned: the kept page and the version it was read at, if any. */
  versioned(key: string): { body: string; version: string } | undefined {
    const page = this.pages.get(key);
    return page?.version === undefined ? undefined : { body: page.body, version: page.version };
  }

  /** Versioned: keeps a page read at `version` (read before the page, in the same round trip). */
  rememberAt(tenantId: string, key: string, body: string, version: string): void {
    this.keep(key, { tenantId, body, version });
  }

  /** Take this before reading a page and pass it to `remember`. */
  seen(): number {
    return this.sequence;
  }

  /** Keeps a page read since `seen`, unless a change to its tenant was announced meanwhile. */
  remember(tenantId: string, key: string, body: string, seen: number): void {
    if (seen < this.allChangedAt || seen < (this.changedAt.get(tenantId) ?? 0)) return;
    this.keep(key, { tenantId, body });
  }

  private keep(key: string, page: { tenantId: string; body: string; version?: string }): void {
    if (this.pages.size >= this.maxPages && !this.pages.has(key)) {
      const oldest = this.pages.keys().next().value;
      if (oldest !== undefined) this.pages.delete(oldest);
    }
    this.pages.set(key, page);
  }

  /** A write to `tenantId`'s servers committed (`'*'`: to any tenant's): its pages are dropped. */
  changed(tenantId: string): void {
    this.sequence++;
    if (tenantId === '*' || this.changedAt.size >= this.maxTenants) {
      this.allChangedAt = this.sequence;
      this.changedAt.clear();
      this.pages.clear();
      return;
    }
    this.changedAt.set(tenantId, this.sequence);
    for (const [key, page] of this.pages) if (page.tenantId === tenantId) this.pages.delete(key);
  }

  get size(): number {
    return this.pages.size;
  }
}
