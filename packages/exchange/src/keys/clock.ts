/**
 * The one clock every time rule of the key system reads: timestamp windows, replay expiry, key
 * expiry, cache lifetimes, last-use bookkeeping. Tests move a fake one instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
