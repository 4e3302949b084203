// Time as services see it: one injectable clock shared by the prober and the proxy, so that timing
// (schedules, backoffs, breaker periods, attempt timers) is tested on a fake clock instead of real timers.

export interface Clock {
  /** Epoch milliseconds with sub-millisecond precision, monotonic within a process. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

// performance.now() is monotonic and fine-grained; anchored to the epoch so that times read as dates
// and compare across the proxy's worker threads (each thread has its own performance.timeOrigin). Read
// once: the getter allocates a number on every call, and the clock is read several times per request.
const timeOrigin = performance.timeOrigin;

export const systemClock: Clock = {
  now: () => timeOrigin + performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Waits `ms` on `clock`; resolves false at once (and stops the timer) if `signal` aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
