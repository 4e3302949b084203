import type { Clock } from '../clock.ts';
import type { Definition, RequestSpec, SkipReason } from '../types.ts';
import { CronTicker } from './cron-ticker.ts';
import { IntervalTicker } from './interval-ticker.ts';
import type { Ticker } from './ticker.ts';

/** What a job calls out to: the runner and the reporters, as one object per definition. */
export interface JobHandler {
  run(request: RequestSpec, plannedAt: number): Promise<unknown>;
  skipped(reason: SkipReason, count: number): void;
  /** Milliseconds between the planned and the actual start of a run. */
  lagged(lagMs: number): void;
  /** The job is gone: it was removed from the config, replaced by a changed definition, or shut down. */
  close(reason: 'removed' | 'replaced' | 'shutdown'): void;
}

/**
 * One definition on its schedule. A tick that comes while the previous run is still going is skipped
 * and counted: the same probe never overlaps itself.
 */
export class Job {
  readonly definition: Definition;
  readonly handler: JobHandler;
  readonly #clock: Clock;
  readonly #ticker: Ticker;
  #running: Promise<void> | undefined;
  #runs = 0;

  constructor(definition: Definition, handler: JobHandler, clock: Clock) {
    this.definition = definition;
    this.handler = handler;
    this.#clock = clock;
    const hooks = {
      onTick: (plannedAt: number) => this.tick(plannedAt),
      onMissed: (count: number) => handler.skipped('missed', count),
    };
    const { schedule } = definition;
    this.#ticker =
      schedule.kind === 'every'
        ? new IntervalTicker(schedule.periodMs, definition.offsetMs, clock, hooks)
        : new CronTicker(
            schedule.expression,
            schedule.timeZone,
            definition.offsetMs,
            definition.name,
            clock,
            hooks,
          );
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  start(): void {
    this.#ticker.start();
  }

  /** Runs now if the previous run is finished; otherwise skips. Exposed for tests and --once. */
  tick(plannedAt: number): void {
    if (this.#running) {
      this.handler.skipped('overlap', 1);
      return;
    }
    this.handler.lagged(Math.max(0, this.#clock.now() - plannedAt));
    const { requests } = this.definition;
    const request = requests[this.#runs++ % requests.length] as RequestSpec;
    this.#running = this.handler
      .run(request, plannedAt)
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** Stops future ticks; resolves when the run in progress (if any) has finished and been reported. */
  async stop(): Promise<void> {
    this.#ticker.stop();
    await this.#running;
  }
}
