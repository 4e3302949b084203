import type { CronJob } from 'cron';
import type { Clock } from '../clock.ts';
import { cron } from '../config/cron.ts';
import { onCronSkip } from './cron-warnings.ts';
import { EARLY_TOLERANCE_MS, type Ticker, type TickerHooks } from './ticker.ts';

/** Cron runs a late tick at once if it is at most this late, and skips it (with a warning) beyond. */
export const CRON_THRESHOLD_MS = 250;
const MAX_CATCH_UP_STEPS = 10_000;

/**
 * `schedule: "*\/3 * * * * *"`: the cron package decides the instants (time zones, DST), then the run
 * waits for the probe's offset. The plan for a tick is the firing cron computed beforehand, so lag is
 * the real distance from the planned instant, not from whenever the timer happened to fire.
 */
export class CronTicker implements Ticker {
  readonly #job: CronJob<null, null>;
  readonly #offsetMs: number;
  readonly #clock: Clock;
  readonly #hooks: TickerHooks;
  readonly #name: string;
  #expected = 0;
  #pending = new Set<unknown>();
  #unregister: (() => void) | undefined;

  constructor(
    expression: string,
    timeZone: string | undefined,
    offsetMs: number,
    name: string,
    clock: Clock,
    hooks: TickerHooks,
  ) {
    this.#offsetMs = offsetMs;
    this.#clock = clock;
    this.#hooks = hooks;
    this.#name = name;
    this.#job = cron().CronJob.from({
      cronTime: expression,
      ...(timeZone === undefined ? {} : { timeZone }),
      name,
      start: false,
      threshold: CRON_THRESHOLD_MS,
      onTick: () => this.#fired(),
      errorHandler: () => {},
    });
  }

  start(): void {
    if (this.#job.isActive) return;
    this.#expected = this.#job.nextDate().toMillis();
    this.#unregister = onCronSkip(this.#name, () => this.#hooks.onMissed(1));
    this.#job.start();
  }

  stop(): void {
    this.#job.stop();
    this.#unregister?.();
    for (const handle of this.#pending) this.#clock.clearTimeout(handle);
    this.#pending.clear();
  }

  #fired(): void {
    const wallNow = Date.now();
    let planned = this.#expected;
    // After a skipped deadline the stored plan is stale: move to the latest firing not after now.
    const cronTime = this.#job.cronTime;
    for (let step = 0; step < MAX_CATCH_UP_STEPS; step++) {
      const following = cronTime.getNextDateFrom(new Date(planned), cronTime.timeZone).toMillis();
      if (following > wallNow) break;
      planned = following;
    }
    this.#expected = this.#job.nextDate().toMillis();
    // Plans are wall-clock; the Clock may be finer-grained. Express the plan on the Clock's scale.
    const plannedAt = planned + this.#offsetMs + (this.#clock.now() - Date.now());
    this.#runAt(plannedAt);
  }

  /** Node arms timers from the loop's cached time, so one may wake early under load: wait again. */
  #runAt(plannedAt: number): void {
    const handle = this.#clock.setTimeout(
      () => {
        this.#pending.delete(handle);
        if (this.#clock.now() < plannedAt - EARLY_TOLERANCE_MS) return this.#runAt(plannedAt);
        this.#hooks.onTick(plannedAt);
      },
      Math.max(0, plannedAt - this.#clock.now()),
    );
    this.#pending.add(handle);
  }
}
