/** Time as a port, so schedulers and expiry logic can be driven by a test clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
