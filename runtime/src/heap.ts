// Keeps V8's heap close to what a service holds. V8 sizes its heap from the machine's memory, not the
// process's needs: on a 24 GiB host the young generation grows to 64-128 MiB under load (16 MiB already
// while a service loads its modules), and the old generation may grow to several times its live size
// between full collections; all of it stays resident. A service here keeps a few tens of MiB alive, so
// a young generation of a few MiB and an old generation allowed 20 % above its live size serve it as
// well, at the cost of more frequent, small collections. --max-semi-space-size and --max-old-space-size
// would do this, but only on the command line (NODE_OPTIONS), which a bin cannot set for itself; the
// growth factors, though, are read at each collection, so they can be set from here. Every process
// starts with the compact flags (start-up-heap.mjs); what a service sets beyond them waits until it has
// started, so that every module loads under the same flags (the compile cache depends on it).
import {
  constants,
  type PerformanceEntry,
  PerformanceObserver,
  type PerformanceObserverEntryList,
} from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { isMainThread } from 'node:worker_threads';
import { applyStartUpHeapFlags, OLD_GENERATION_GROWTH_PERCENT, operatorHeapFlags } from './start-up-heap.mjs';

/**
 * Young generation (both semi-spaces) at which growth stops, unless a V8 flag says otherwise. Growth is
 * switched off between bursts of allocation, so it can end one step past this: at most twice it.
 */
export const YOUNG_GENERATION_CAP_MIB = 8;
/**
 * Start-up, counted from the process's start: until then the start-up flags hold (start-up-heap.mjs).
 * The services are ready well within it (docs/architecture.md, start-up); a module loaded later (the
 * HTTP/2 half of undici at a first h2 probe, say) may find its cached code refused, and is compiled.
 */
const START_UP_MS = 3000;

export interface HeapSettings {
  /** Young generation (both semi-spaces) at which growth stops. */
  youngGenerationCapMiB?: number;
  /** How far above its live size the old generation may grow before a full collection. */
  oldGenerationGrowthPercent?: number;
  /** A wider margin while full collections come close together (see BusyMargin). Default: none. */
  busyOldGeneration?: BusyMarginSettings;
}

export interface BusyMarginSettings {
  /** The margin, in percent of the live size, while busy. */
  growthPercent: number;
  /** Busy after this many gaps in a row between full collections shorter than `withinMs`. */
  gaps: number;
  withinMs: number;
  /** Back to the normal margin after one gap this long. */
  calmMs: number;
}

/**
 * Decides the old generation's margin from the times of full collections. A small margin keeps RSS
 * close to the live size, at the price of a full collection each time the margin fills up; a service
 * that promotes megabytes a second (the prober at a thousand runs a second) would then pause for one
 * every second. While the gaps stay short the margin widens; after one long gap it narrows again (with
 * the wide margin, a quiet service's gaps are long). Startup's few close collections do not count: it
 * takes `gaps` short gaps in a row.
 */
export class BusyMargin {
  readonly #settings: BusyMarginSettings;
  #last: number | undefined;
  #shortGaps = 0;
  busy = false;

  constructor(settings: BusyMarginSettings) {
    this.#settings = settings;
  }

  /** Called at each full collection; returns true when busy changed. */
  fullCollectionAt(atMs: number): boolean {
    const gap = this.#last === undefined ? undefined : atMs - this.#last;
    this.#last = atMs;
    if (gap === undefined) return false;
    this.#shortGaps = gap < this.#settings.withinMs ? this.#shortGaps + 1 : 0;
    const busy = this.busy ? gap < this.#settings.calmMs : this.#shortGaps >= this.#settings.gaps;
    if (busy === this.busy) return false;
    this.busy = busy;
    return true;
  }
}

let capped = false;

function youngGenerationMiB(): number {
  const space = getHeapSpaceStatistics().find((entry) => entry.space_name === 'new_space');
  return (space?.space_size ?? 0) / 1024 / 1024;
}

/**
 * Caps the young generation (it may double only while that keeps it within the cap) and the old
 * generation's growth between full collections. The first call wins, so a service that needs other
 * settings (the proxy: proxy/src/heap.ts) passes them to loadTelemetry(), which calls it before the
 * telemetry bootstrap does. Until `startUpMs` after the process started, the start-up flags hold;
 * only then does the young generation grow under load and a service's own margin apply. An operator's
 * own V8 flags win over both.
 */
export function keepHeapCompact(settings: HeapSettings = {}, startUpMs = START_UP_MS): void {
  // V8's flags are the process's: the main thread sets them once for every worker thread too.
  if (capped || !isMainThread) return;
  capped = true;
  // Already set by a bin; not by a test, or a program that imports the runtime without one.
  applyStartUpHeapFlags();
  const capMiB = settings.youngGenerationCapMiB ?? YOUNG_GENERATION_CAP_MIB;
  const growth = settings.oldGenerationGrowthPercent ?? OLD_GENERATION_GROWTH_PERCENT;
  const operator = operatorHeapFlags();
  const ownMargin = !operator.old;
  const ownYoung = !operator.young;
  const busyMargin = ownMargin && settings.busyOldGeneration && new BusyMargin(settings.busyOldGeneration);
  let growing = false;
  const adjust = (list: PerformanceObserverEntryList) => {
    if (busyMargin) {
      for (const entry of list.getEntries()) {
        const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
        const major = detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
        if (major && busyMargin.fullCollectionAt(entry.startTime)) {
          const percent = busyMargin.busy ? settings.busyOldGeneration?.growthPercent : growth;
          setFlagsFromString(`--heap-growing-percent=${percent}`);
        }
      }
    }
    if (!ownYoung) return;
    const grow = youngGenerationMiB() * 2 <= capMiB;
    if (grow === growing) return;
    growing = grow;
    setFlagsFromString(`--semi-space-growth-factor=${grow ? 2 : 1}`);
  };
  const afterStartUp = () => {
    if (ownMargin && growth !== OLD_GENERATION_GROWTH_PERCENT)
      setFlagsFromString(`--heap-growing-percent=${growth}`);
    if (!ownYoung && !busyMargin) return;
    // Checked after every collection: growth only ever happens at one.
    const observer = new PerformanceObserver(adjust);
    observer.observe({ entryTypes: ['gc'] });
  };
  const remainingMs = startUpMs - performance.now();
  if (remainingMs <= 0) afterStartUp();
  else setTimeout(afterStartUp, remainingMs).unref();
}
