// Gives back the heap a burst of work grew, once the service is at rest again. V8 has a "memory reducer"
// for this, but it judges the allocation rate only at a collection, and an idle process makes none: after
// a load test the proxy kept 150+ MiB resident for as long as it stayed idle (BENCHMARKS.md). So each
// thread watches its own event loop, and when it has been quiet for a few windows after its heap grew,
// runs the collection V8 keeps for memory pressure: it compacts, shrinks the young generation and
// returns pooled pages. It pauses the thread for tens of milliseconds, once, when nothing is waiting.
import { performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Clock, systemClock } from './clock.ts';

export interface RestSettings {
  /** How often the event loop's utilization is sampled. */
  windowMs: number;
  /** A window is quiet when the loop was busy less than this share of it. */
  quietUtilization: number;
  /** Release after this many quiet windows in a row. */
  quietWindows: number;
  /** ...and only if the heap (with its external memory) grew this much since the last release. */
  grownBytes: number;
}

export const REST_SETTINGS: RestSettings = {
  windowMs: 2000,
  quietUtilization: 0.02,
  quietWindows: 3,
  grownBytes: 8 * 2 ** 20,
};

/** Decides, one window at a time, when a thread is back at rest with a heap its work grew. */
export class RestAfterGrowth {
  #baseline: number | undefined;
  #quiet = 0;

  /** Called at the end of each window; true when the heap should be released now. */
  window(utilization: number, heapBytes: number): boolean {
    // The first window sets the baseline (what the thread holds once loaded); it only comes down.
    this.#baseline = Math.min(this.#baseline ?? heapBytes, heapBytes);
    this.#quiet = utilization < REST_SETTINGS.quietUtilization ? this.#quiet + 1 : 0;
    if (this.#quiet < REST_SETTINGS.quietWindows) return false;
    if (heapBytes - this.#baseline < REST_SETTINGS.grownBytes) return false;
    this.#quiet = 0;
    return true;
  }

  /** What the heap holds after a release: the new baseline, even if the release freed little. */
  released(heapBytes: number): void {
    this.#baseline = heapBytes;
  }
}

type Gc = (options: typeof MEMORY_PRESSURE) => void;
/** The collection V8 runs under memory pressure (gc()'s options in Node 24's V8). */
const MEMORY_PRESSURE = { type: 'major', execution: 'sync', flavor: 'last-resort' } as const;

/**
 * V8's gc(), without exposing it to the service's own code: the flag is set only while a fresh context
 * is made to hand the function over. An operator who runs node with --expose-gc keeps it: their gc()
 * is used, and the flag is not switched off behind them.
 */
export function memoryPressureCollection(): () => void {
  let gc = (globalThis as { gc?: Gc }).gc;
  if (typeof gc !== 'function') {
    setFlagsFromString('--expose-gc');
    try {
      gc = runInNewContext('gc') as Gc;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  const collect = gc;
  return () => collect(MEMORY_PRESSURE);
}

/** The heap V8 holds for this thread: its pages and the memory its objects hold outside it. */
export function heapBytes(): number {
  const heap = getHeapStatistics();
  return heap.total_physical_size + heap.external_memory;
}

export interface RestWatch {
  clock?: Clock;
  /** The event loop's utilization since the last call (0 to 1). */
  utilization?: () => number;
  heapBytes?: () => number;
  collect?: () => void;
}

function utilizationSinceLastCall(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    return utilization;
  };
}

/**
 * Starts watching this thread (the telemetry bootstrap does, once per thread); the timer never keeps
 * the process alive. Returns what stops it.
 */
export function releaseHeapAtRest(watch: RestWatch = {}): () => void {
  const clock = watch.clock ?? systemClock;
  const utilization = watch.utilization ?? utilizationSinceLastCall();
  const heap = watch.heapBytes ?? heapBytes;
  let collect = watch.collect;
  const rest = new RestAfterGrowth();
  const tick = () => {
    if (rest.window(utilization(), heap())) {
      // Made at the first release: a service whose heap never grows never pays for the context.
      collect ??= memoryPressureCollection();
      collect();
      rest.released(heap());
    }
    schedule();
  };
  let handle: unknown;
  const schedule = () => {
    handle = clock.setTimeout(tick, REST_SETTINGS.windowMs);
    (handle as { unref?: () => void }).unref?.();
  };
  schedule();
  return () => clock.clearTimeout(handle);
}
