// @ts-check
'use strict';
// Measures flying-squid's tick loop as it really runs. flying-squid ticks from a setInterval(50 ms) and
// emits `tick` synchronously; we time each emit (the synchronous work all tick listeners do) and count
// ticks over a sliding window. TPS is ticks actually run per second of wall time (lower when the event
// loop is starved); MSPT is the mean synchronous tick time. Asynchronous work started by a tick (chunk
// I/O) is not in MSPT: it does not delay the next tick in this server. Reported only once the window
// holds enough ticks to mean something.

const WINDOW_MS = 10_000;
const MIN_SPAN_MS = 2_000;

/**
 * @param {{ emit: (event: string | symbol, ...args: unknown[]) => boolean }} serv flying-squid's server (an EventEmitter)
 * @returns {() => { tps?: number, mspt?: number }}
 */
function installTickMeter(serv) {
  /** @type {[endMs: number, durationMs: number][]} */
  const ticks = [];
  const originalEmit = serv.emit;
  /** @type {typeof serv.emit} */
  serv.emit = function (event, ...args) {
    if (event !== 'tick') return originalEmit.call(this, event, ...args);
    const start = process.hrtime.bigint();
    try {
      return originalEmit.call(this, event, ...args);
    } finally {
      const end = process.hrtime.bigint();
      const now = Date.now();
      ticks.push([now, Number(end - start) / 1e6]);
      while (ticks.length > 0 && (ticks[0]?.[0] ?? 0) < now - WINDOW_MS) ticks.shift();
    }
  };
  return function read() {
    const now = Date.now();
    while (ticks.length > 0 && (ticks[0]?.[0] ?? 0) < now - WINDOW_MS) ticks.shift();
    const first = ticks[0];
    if (ticks.length < 2 || !first) return {};
    const span = now - first[0];
    if (span < MIN_SPAN_MS) return {};
    // Ticks after the first one, over the time since the first one.
    const tps = (ticks.length - 1) / (span / 1000);
    const mspt = ticks.reduce((sum, t) => sum + t[1], 0) / ticks.length;
    return { tps: Math.round(tps * 100) / 100, mspt: Math.round(mspt * 1000) / 1000 };
  };
}

module.exports = { installTickMeter };
