import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from '@minefleet/services/logger';

/**
 * Gives memory back to the system once the control plane has gone quiet.
 *
 * V8 does this itself (its "memory reducer" runs memory-reducing collections when a process stops
 * allocating), but on Node 22 and later it waits about 100 s after the last collection before it
 * acts, and until then it keeps every page it ever used: freed pages stay in its page pool, the young
 * generation keeps the size a burst gave it (sized from the machine's memory: 64 MiB semi-spaces on a
 * 24 GiB machine). Measured on Node 24, an idle control plane on PostgreSQL held 190–290 MiB at 60 s and
 * 135 MiB after that collection at ~115 s; Node 20 ran it at ~49 s (docs/benchmarks.md, idle memory).
 *
 * So after a quiet window (at most one HTTP request a second on average) that follows busier times, or
 * the start, this runs one full, memory-reducing collection: V8's "last resort" collection, which
 * releases the pooled pages and shrinks both generations (~20–110 ms on a quiet process). It runs once
 * per quiet spell: a process that keeps allocating is left to V8's own heuristics, and a pause never
 * lands in the middle of load.
 */
export interface IdleMemoryOptions {
  /** Length of the quiet window, in ms (0: never collect). */
  quietMs: number;
  /** A count that grows with what keeps the process busy (HTTP requests and WebSocket upgrades). */
  activity: () => number;
  log: Logger;
  /** The collection; default: V8's last-resort collection ({@link memoryReducingCollector}). */
  collect?: () => void;
  /** Told of each collection and how long it took. */
  onCollected?: (seconds: number) => void;
}

export class IdleMemory {
  private timer: NodeJS.Timeout | undefined;
  private seen = 0;
  /** True once there was something to give back: at start, and after every busy window. */
  private armed = true;
  private collect: (() => void) | undefined;

  constructor(private readonly o: IdleMemoryOptions) {}

  start(): void {
    if (this.o.quietMs <= 0 || this.timer) return;
    // Made only when used: switched off, V8's flags stay untouched.
    this.collect ??= this.o.collect ?? memoryReducingCollector();
    this.seen = this.o.activity();
    this.timer = setInterval(() => this.check(), this.o.quietMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the window that just ended (the timer calls this every `quietMs`). */
  check(): void {
    if (!this.collect) return;
    const now = this.o.activity();
    const requests = now - this.seen;
    this.seen = now;
    if (requests > this.o.quietMs / 1000) {
      this.armed = true;
      return;
    }
    if (!this.armed) return;
    this.armed = false;
    const before = process.memoryUsage.rss();
    const started = performance.now();
    this.collect();
    const seconds = (performance.now() - started) / 1000;
    this.o.onCollected?.(seconds);
    this.o.log.debug(
      {
        ms: Math.round(seconds * 1000),
        rssBeforeMiB: Math.round(before / 1048576),
        rssAfterMiB: Math.round(process.memoryUsage.rss() / 1048576),
      },
      'quiet: memory given back',
    );
  }
}

type GcFunction = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * V8's full collection, from the `gc` function V8 installs in contexts made after `--expose-gc` is set
 * (a context of its own: the application's global object never gets a `gc`). V8 12 and later (Node 22+)
 * take the "last-resort" flavour, the memory-reducing collection that also releases pooled pages;
 * V8 11 (Node 20) reads an options object as a request for a young-generation collection only, so it
 * gets a plain full collection (its own memory reducer already acts within a minute there).
 */
export function memoryReducingCollector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as GcFunction;
  // Contexts and worker threads made from now on get no `gc` of their own.
  v8.setFlagsFromString('--no-expose-gc');
  const v8Major = Number(process.versions.v8.split('.')[0]);
  return v8Major >= 12 ? () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }) : () => gc();
}
