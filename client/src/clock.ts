// Time as the scheduler and runner see it. Injectable, so scheduler tests run on a fake clock.

export interface Clock {
  /** Epoch milliseconds with sub-millisecond precision. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  // performance.now() is monotonic and fine-grained; anchored to the epoch so plans read as dates.
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
