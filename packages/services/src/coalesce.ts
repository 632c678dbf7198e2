/** One call's outcome in a batch: its own result or its own error. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Calls that arrive together, written together (group commit). A key's first call opens a batch; the
 * batch is handed to `run` once a turn of the event loop has passed without a new call for that key
 * (or after `maxWaitMs`), and calls made while it is being written form the next batch, so at most one
 * batch per key is in flight. Each caller gets its own outcome; `run` decides how a batch is written,
 * and a batch of one is an ordinary call.
 *
 * Why: the embedded database runs one statement at a time on the request thread, and a transaction
 * costs its statements plus BEGIN and COMMIT. A burst of 100 creates written one transaction each
 * answered its last call after ~1 s (docs/benchmarks.md, Fleet); written together they make the same
 * checks with a fraction of the statements. Waiting for a quiet turn, not just the next one: Node takes
 * in one new connection per turn of its loop, so a burst of new connections arrives one call per turn,
 * and a batch written at the first turn would hold one call and keep every later turn long.
 * Calls a batch makes wait would have waited anyway: their writes take the same lock (a tenant's row,
 * the admission lock) or, on the embedded database, the same single connection.
 */
export class Coalescer<I, O> {
  private readonly waiting = new Map<
    string,
    { calls: { item: I; settle: (outcome: Outcome<O>) => void }[]; since: number; arrived: boolean }
  >();
  private readonly writing = new Set<string>();

  /**
   * `waitForQuiet: false` writes a batch at the next turn instead, for calls that arrive all at once
   * (made by the answers of another batch) rather than one per new connection. `maxBatch` (200) bounds
   * a batch; the calls after it form the next one.
   */
  constructor(
    private readonly run: (key: string, items: I[]) => Promise<Outcome<O>[]>,
    private readonly options: { waitForQuiet?: boolean; maxWaitMs?: number; maxBatch?: number } = {},
  ) {}

  submit(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const settle = (outcome: Outcome<O>): void => {
        if (outcome.ok) resolve(outcome.value);
        // The error as the writer gave it (a DomainError for the caller's own refusal).
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        else reject(outcome.error);
      };
      const open = this.waiting.get(key);
      if (open) {
        open.calls.push({ item, settle });
        open.arrived = true;
        return;
      }
      this.waiting.set(key, { calls: [{ item, settle }], since: performance.now(), arrived: true });
      if (!this.writing.has(key)) setImmediate(() => this.gather(key));
    });
  }

  /** Each turn: another call came in, so wait one more turn (up to `maxWaitMs`); else write. */
  private gather(key: string): void {
    const open = this.waiting.get(key);
    if (!open) return;
    const quiet = !open.arrived || this.options.waitForQuiet === false;
    if (!quiet && performance.now() - open.since < (this.options.maxWaitMs ?? 100)) {
      open.arrived = false;
      setImmediate(() => this.gather(key));
      return;
    }
    void this.flush(key);
  }

  private async flush(key: string): Promise<void> {
    const open = this.waiting.get(key);
    if (!open) return;
    const batch = open.calls.splice(0, this.options.maxBatch ?? 200);
    if (open.calls.length === 0) this.waiting.delete(key);
    this.writing.add(key);
    let outcomes: Outcome<O>[];
    try {
      outcomes = await this.run(
        key,
        batch.map((b) => b.item),
      );
    } catch (error) {
      outcomes = batch.map(() => ({ ok: false, error }));
    } finally {
      this.writing.delete(key);
      const next = this.waiting.get(key);
      if (next) {
        next.since = performance.now();
        setImmediate(() => this.gather(key));
      }
    }
    batch.forEach((b, i) =>
      b.settle(outcomes[i] ?? { ok: false, error: new Error('The batch gave no outcome for this call') }),
    );
  }
}

/** Runs `fn`, keeping its result or error as an outcome. */
export async function outcomeOf<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}
