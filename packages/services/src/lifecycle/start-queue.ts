/**
 * The start queue: at most `concurrency` game launches in flight at once on this replica, and the rest
 * waiting, handed out round-robin across tenants. A launch loads a whole game server (flying-squid takes
 * one to two seconds of a core; a Java server far more); a hundred launched at once share the cores a
 * hundred ways, so every one of them, the control plane and every other tenant wait for all of them.
 *
 * Fairness: the next slot goes to the waiting tenant served least recently (one never served first,
 * then in order of arrival), and within a tenant to its oldest start. A tenant's burst of a hundred
 * starts therefore puts another tenant's single start behind at most the launches already in flight.
 *
 * Pure bookkeeping: no I/O, no timers. A slot is held until the launch's promise settles; the caller
 * decides what a launch is (launch, then wait for the warm-up, at most for some time).
 */
export type Launch = () => Promise<unknown>;

interface Waiting {
  key: string;
  tenant: string;
  launch: Launch;
}

export class StartQueue {
  private inFlight = 0;
  /** Waiting launches by tenant, oldest first; a tenant with none has no entry. */
  private readonly waiting = new Map<string, Waiting[]>();
  /** Keys of waiting launches, to cancel or look one up. */
  private readonly waitingKeys = new Map<string, Waiting>();
  /** When each tenant with launches waiting or in flight was last served (a sequence number). */
  private readonly lastServed = new Map<string, number>();
  private readonly active = new Map<string, number>();
  private sequence = 0;

  constructor(
    readonly concurrency: number,
    private readonly onError: (error: unknown, key: string) => void = () => {},
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError(`start concurrency must be a positive integer, not ${concurrency}`);
  }

  /** Launches in flight now. */
  get running(): number {
    return this.inFlight;
  }

  /** Launches waiting for a slot. */
  get queued(): number {
    return this.waitingKeys.size;
  }

  /** Whether the launch under `key` waits for a slot. */
  has(key: string): boolean {
    return this.waitingKeys.has(key);
  }

  /**
   * Takes a slot for a launch the caller runs itself, when one is free and nobody waits (a waiting
   * launch goes first). Returns the function that gives the slot back, or null: then `enqueue`.
   */
  tryAcquire(tenant: string): (() => void) | null {
    if (this.inFlight >= this.concurrency || this.waitingKeys.size > 0) return null;
    return this.take(tenant);
  }

  /**
   * Queues `launch` (a newer one under the same key replaces a waiting one). It runs when a slot is
   * free and its tenant's turn comes; the slot is given back when its promise settles.
   */
  enqueue(key: string, tenant: string, launch: Launch): void {
    this.cancel(key);
    const entry: Waiting = { key, tenant, launch };
    const line = this.waiting.get(tenant);
    if (line) line.push(entry);
    else this.waiting.set(tenant, [entry]);
    this.waitingKeys.set(key, entry);
    this.pump();
  }

  /** Drops a waiting launch (its server was stopped or deleted meanwhile). True when one waited. */
  cancel(key: string): boolean {
    const entry = this.waitingKeys.get(key);
    if (!entry) return false;
    this.waitingKeys.delete(key);
    const line = this.waiting.get(entry.tenant)!;
    line.splice(line.indexOf(entry), 1);
    if (line.length === 0) {
      this.waiting.delete(entry.tenant);
      this.forgetIfIdle(entry.tenant);
    }
    return true;
  }

  /** Drops every waiting launch (shutdown: the next control plane starts those servers again). */
  clear(): void {
    for (const key of [...this.waitingKeys.keys()]) this.cancel(key);
  }

  private take(tenant: string): () => void {
    this.inFlight++;
    this.active.set(tenant, (this.active.get(tenant) ?? 0) + 1);
    this.lastServed.set(tenant, ++this.sequence);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.inFlight--;
      const left = (this.active.get(tenant) ?? 1) - 1;
      if (left > 0) this.active.set(tenant, left);
      else this.active.delete(tenant);
      this.forgetIfIdle(tenant);
      this.pump();
    };
  }

  /** A tenant with nothing waiting and nothing in flight starts afresh next time. */
  private forgetIfIdle(tenant: string): void {
    if (!this.waiting.has(tenant) && !this.active.has(tenant)) this.lastServed.delete(tenant);
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.waitingKeys.size > 0) {
      const tenant = this.nextTenant();
      const line = this.waiting.get(tenant)!;
      const entry = line.shift()!;
      this.waitingKeys.delete(entry.key);
      if (line.length === 0) this.waiting.delete(tenant);
      const release = this.take(tenant);
      void Promise.resolve()
        .then(entry.launch)
        .catch((error: unknown) => this.onError(error, entry.key))
        .finally(release);
    }
  }

  /** The waiting tenant served least recently; Map order breaks ties (first to arrive). */
  private nextTenant(): string {
    let best: string | undefined;
    let bestServed = Infinity;
    for (const tenant of this.waiting.keys()) {
      const served = this.lastServed.get(tenant) ?? 0;
      if (served < bestServed) {
        best = tenant;
        bestServed = served;
      }
    }
    return best!;
  }
}
