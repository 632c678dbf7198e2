/**
 * A fixed-capacity FIFO for one subscriber, the fan-out primitive of the live platform (docs/websocket.md; modelled
 * on Pterodactyl Wings' `system/sink_pool.go`): the producer never waits; when the queue is full the
 * OLDEST entry is dropped and counted, because for a live console or status stream the newest lines
 * are the ones worth showing. Each subscriber has its own queue, so a slow one loses its own backlog
 * and never delays the producer or any other subscriber.
 *
 * The consumer drains it asynchronously with `for await` (or `next()`), see also `pumpQueue`.
 * Pure (no I/O, no timers): a ring buffer, so push and shift are O(1) however full it is.
 */
export class BoundedQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  private readonly ring: (T | undefined)[];
  private head = 0;
  private length = 0;
  private droppedTotal = 0;
  private droppedSinceTake = 0;
  private isClosed = false;
  /** A consumer parked in `next()`; at most one, iteration is single-consumer by design. */
  private waiter: ((result: IteratorResult<T, undefined>) => void) | null = null;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`BoundedQueue capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.ring = new Array<T | undefined>(capacity);
  }

  /** Entries waiting to be consumed. */
  get size(): number {
    return this.length;
  }

  /** Entries dropped since the queue was made. */
  get dropped(): number {
    return this.droppedTotal;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Adds an entry without ever waiting. Returns false when it pushed out the oldest entry to make room
   * (or when the queue is closed and the entry was ignored).
   */
  push(item: T): boolean {
    if (this.isClosed) return false;
    if (this.waiter) {
      // A consumer is parked, so the queue is empty: hand the entry over directly.
      const wake = this.waiter;
      this.waiter = null;
      wake({ value: item, done: false });
      return true;
    }
    if (this.length === this.capacity) {
      this.ring[(this.head + this.length) % this.capacity] = item; // overwrites the oldest slot
      this.head = (this.head + 1) % this.capacity;
      this.droppedTotal++;
      this.droppedSinceTake++;
      return false;
    }
    this.ring[(this.head + this.length) % this.capacity] = item;
    this.length++;
    return true;
  }

  /**
   * The oldest entry without taking it, or undefined when empty: when `size === capacity`, the entry the
   * next `push()` drops (lets a consumer tell whom a dropped message was for).
   */
  peek(): T | undefined {
    return this.length === 0 ? undefined : this.ring[this.head];
  }

  /** Takes the oldest entry at once, or undefined when empty. */
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.ring[this.head];
    this.ring[this.head] = undefined; // let the entry be collected
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return item;
  }

  /**
   * Entries dropped since the last call, and resets that count: lets a consumer tell its client
   * "N messages skipped" once per gap.
   */
  takeDropped(): number {
    const n = this.droppedSinceTake;
    this.droppedSinceTake = 0;
    return n;
  }

  /** Waits for the next entry; `done` once the queue is closed and drained. */
  next(): Promise<IteratorResult<T, undefined>> {
    if (this.length > 0) return Promise.resolve({ value: this.shift() as T, done: false });
    if (this.isClosed) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new Error('BoundedQueue supports a single consumer'));
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /**
   * Stops accepting entries. With `discard` the backlog is thrown away (a disconnected client),
   * otherwise the consumer still gets what is queued, then `done`.
   */
  close(options: { discard?: boolean } = {}): void {
    this.isClosed = true;
    if (options.discard) {
      this.ring.fill(undefined);
      this.head = 0;
      this.length = 0;
    }
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = null;
      wake({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => this.next(),
      return: () => {
        this.close({ discard: true });
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
