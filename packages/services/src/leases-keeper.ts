import type { Leases } from './leases.js';

/**
 * Why a tenure ended:
 * - `taken`: a renewal was refused; the lease expired or another holder has it.
 * - `expired`: no renewal succeeded before the local deadline (database slow or unreachable); another
 *   replica may take the lease from now on.
 * - `stopped`: `stop()` was called and the lease released.
 */
export type LeaseLossReason = 'taken' | 'expired' | 'stopped';

export interface LeaseKeeperOptions {
  leases: Leases;
  name: string;
  /** This replica's identity, unique per process (e.g. host, pid and a random suffix). */
  holder: string;
  ttlMs: number;
  /** How often to renew while holding and to try taking the lease while not (default ttl / 3). */
  intervalMs?: number;
  /**
   * How long before the lease's expiry the holder considers it lost if it could not renew (default
   * ttl / 10): covers the time the work needs to notice the abort and the clocks' rate difference.
   */
  safetyMarginMs?: number;
  /** The lease was taken; `signal` aborts (with the LeaseLossReason) when this tenure ends. */
  onAcquired?: (signal: AbortSignal) => void;
  /** The tenure ended: stop the guarded work now. */
  onLost?: (reason: LeaseLossReason) => void;
  /** A database call failed (it is retried at the next interval). */
  onError?: (error: unknown) => void;
}

/**
 * Holds one lease for as long as this replica runs: campaigns for it while another replica has it,
 * renews it while held, and reports the loss the moment it can no longer be sure it holds it, so the
 * replica stops work it does not own (no split brain).
 *
 * Safety rests on one deadline: after each successful acquire or renew, the database expires the lease
 * at its `now() + ttl`, which is no earlier than `sent + ttl` by this process's monotonic clock
 * (`sent` being when the request left). If no renewal lands before `sent + ttl - safetyMargin`, the
 * keeper declares the lease lost, even if the database call is still hanging. Monotonic time
 * (performance.now) is used rather than the Clock port because it measures a duration and must not
 * jump with the wall clock; the database clock decides expiry itself.
 */
export class LeaseKeeper {
  private readonly options: LeaseKeeperOptions;
  private readonly intervalMs: number;
  private readonly marginMs: number;
  private controller: AbortController | null = null;
  private tenure = 0;
  private tickTimer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private running = false;

  constructor(options: LeaseKeeperOptions) {
    this.options = options;
    this.intervalMs = options.intervalMs ?? Math.max(1, Math.floor(options.ttlMs / 3));
    this.marginMs = options.safetyMarginMs ?? Math.floor(options.ttlMs / 10);
    if (this.intervalMs + this.marginMs >= options.ttlMs) {
      throw new RangeError(
        'LeaseKeeper needs intervalMs + safetyMarginMs < ttlMs, or it can never renew in time.',
      );
    }
  }

  /** Whether this replica holds the lease now (as far as it can be sure). */
  get held(): boolean {
    return this.controller !== null;
  }

  /** The abort signal of the current tenure, or null when not holding. */
  get signal(): AbortSignal | null {
    return this.controller?.signal ?? null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /**
   * Stops campaigning and renewing, ends the tenure at once (`stopped`, so the work stops first), then
   * releases the lease once any database call in flight has settled, so another replica can take over
   * without waiting for the TTL.
   */
  async stop(): Promise<void> {
    this.running = false;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.lose('stopped');
    await this.inFlight;
    // Released even if not held by our count: an acquire that was in flight may have just succeeded.
    await this.options.leases.release(this.options.name, this.options.holder).catch((error: unknown) => {
      this.options.onError?.(error);
    });
  }

  private tick(): void {
    if (!this.running) return;
    this.inFlight = this.step().finally(() => {
      this.inFlight = null;
      if (this.running) this.tickTimer = setTimeout(() => this.tick(), this.intervalMs);
    });
  }

  private async step(): Promise<void> {
    const { leases, name, holder, ttlMs } = this.options;
    const tenure = this.tenure;
    const wasHeld = this.held;
    const sent = performance.now();
    try {
      const grant = wasHeld
        ? await leases.renew(name, holder, ttlMs)
        : await leases.acquire(name, holder, ttlMs);
      // A tenure that ended while the call was in flight (deadline passed, stop) is not revived by a
      // late answer; the next tick acquires afresh if the lease is still ours.
      if (tenure !== this.tenure || !this.running) return;
      if (!grant) {
        if (wasHeld) this.lose('taken');
        return;
      }
      this.armDeadline(sent + ttlMs - this.marginMs);
      if (!wasHeld) {
        this.controller = new AbortController();
        this.options.onAcquired?.(this.controller.signal);
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  private armDeadline(at: number): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const tenure = this.tenure;
    this.deadlineTimer = setTimeout(
      () => {
        if (tenure === this.tenure && this.controller) this.lose('expired');
      },
      Math.max(0, at - performance.now()),
    );
  }

  private lose(reason: LeaseLossReason): void {
    const controller = this.controller;
    if (!controller) return;
    this.controller = null;
    this.tenure++;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    controller.abort(reason);
    this.options.onLost?.(reason);
  }
}
