/**
 * Admission control: a token bucket per client address (connections per second with a burst) and a
 * global cap of open connections. Buckets of quiet addresses are swept so a scan of many addresses does
 * not grow the map without bound.
 */
export class ConnectionLimits {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private open = 0;
  private lastSweep = 0;

  constructor(
    private readonly options: { perAddressPerSecond: number; burst: number; maxConnections: number },
    private readonly now: () => number = () => Date.now(),
  ) {}

  get openConnections(): number {
    return this.open;
  }

  /** Whether a new connection from `address` is admitted; if so the caller must call release() once. */
  admit(address: string): 'ok' | 'rate' | 'cap' {
    if (this.open >= this.options.maxConnections) return 'cap';
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(address) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(
      this.options.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.options.perAddressPerSecond,
    );
    bucket.at = now;
    this.buckets.set(address, bucket);
    if (bucket.tokens < 1) return 'rate';
    bucket.tokens -= 1;
    this.open += 1;
    return 'ok';
  }

  release(): void {
    this.open = Math.max(0, this.open - 1);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    const full = (this.options.burst / this.options.perAddressPerSecond) * 1000;
    for (const [address, bucket] of this.buckets) if (now - bucket.at > full) this.buckets.delete(address);
  }
}
