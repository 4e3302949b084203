import type { Clock } from '../clock.ts';
import { EARLY_TOLERANCE_MS, type Ticker, type TickerHooks } from './ticker.ts';

/** A timer wakes up to this much before its deadline (libuv rounds to whole milliseconds). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `every: 3s`: fires at offset + k·period on the epoch, so plans never drift and keep their phase across
 * restarts. Each deadline is armed from the plan, not from the previous run, so lag does not accumulate.
 */
export class IntervalTicker implements Ticker {
  readonly #periodMs: number;
  readonly #offsetMs: number;
  readonly #clock: Clock;
  readonly #hooks: TickerHooks;
  #next = 0;
  #handle: unknown;
  #active = false;

  constructor(periodMs: number, offsetMs: number, clock: Clock, hooks: TickerHooks) {
    this.#periodMs = periodMs;
    this.#offsetMs = offsetMs % periodMs;
    this.#clock = clock;
    this.#hooks = hooks;
  }

  /** The first planned instant strictly after `now`. */
  static firstAfter(now: number, periodMs: number, offsetMs: number): number {
    return (Math.floor((now - offsetMs) / periodMs) + 1) * periodMs + offsetMs;
  }

  start(): void {
    if (this.#active) return;
    this.#active = true;
    this.#next = IntervalTicker.firstAfter(this.#clock.now(), this.#periodMs, this.#offsetMs);
    this.#arm();
  }

  stop(): void {
    this.#active = false;
    this.#clock.clearTimeout(this.#handle);
  }

  #arm(): void {
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, this.#next - this.#clock.now()));
    this.#handle = this.#clock.setTimeout(() => this.#fire(), delay);
  }

  #fire(): void {
    if (!this.#active) return;
    const now = this.#clock.now();
    if (now < this.#next - EARLY_TOLERANCE_MS) {
      this.#arm();
      return;
    }
    const planned = this.#next;
    let following = planned + this.#periodMs;
    let missed = 0;
    if (following <= now) {
      missed = Math.floor((now - following) / this.#periodMs) + 1;
      following += missed * this.#periodMs;
    }
    this.#next = following;
    // Arm the next deadline first: whatever the tick does, the schedule goes on.
    this.#arm();
    if (missed > 0) this.#hooks.onMissed(missed);
    this.#hooks.onTick(planned);
  }
}
