/** Calls back at planned instants; plannedAt is in the Clock's epoch milliseconds. */
export interface Ticker {
  start(): void;
  stop(): void;
}

export interface TickerHooks {
  onTick(plannedAt: number): void;
  /** Planned instants that passed without a run (the process was stalled longer than a period). */
  onMissed(count: number): void;
}

/** A timer that wakes this much before its plan still counts as on time; earlier, it waits again. */
export const EARLY_TOLERANCE_MS = 1;
