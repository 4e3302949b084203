import type { Clock } from '../clock.ts';
import { fingerprint } from '../config/definitions.ts';
import type { Definition } from '../types.ts';
import { Job, type JobHandler } from './job.ts';

export type HandlerFactory = (definition: Definition) => JobHandler;

export interface ApplySummary {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
}

/**
 * The set of running jobs, kept in step with the config. On reload, unchanged definitions keep their
 * job (schedule and state); changed ones are stopped and started afresh; removed ones stop. A stopped
 * job's run in progress still finishes and is reported before its handler closes.
 */
export class Scheduler {
  readonly #jobs = new Map<string, { job: Job; fingerprint: string }>();
  readonly #createHandler: HandlerFactory;
  readonly #clock: Clock;
  readonly #retiring = new Set<Promise<void>>();

  constructor(createHandler: HandlerFactory, clock: Clock) {
    this.#createHandler = createHandler;
    this.#clock = clock;
  }

  get jobs(): Job[] {
    return [...this.#jobs.values()].map((entry) => entry.job);
  }

  apply(definitions: readonly Definition[]): ApplySummary {
    const summary: ApplySummary = { added: [], changed: [], removed: [], unchanged: [] };
    const wanted = new Map(definitions.map((definition) => [definition.name, definition]));
    for (const [name, entry] of this.#jobs) {
      if (wanted.has(name)) continue;
      this.#jobs.delete(name);
      this.#retire(entry.job, 'removed');
      summary.removed.push(name);
    }
    for (const definition of definitions) {
      const print = fingerprint(definition);
      const existing = this.#jobs.get(definition.name);
      if (existing?.fingerprint === print) {
        summary.unchanged.push(definition.name);
        continue;
      }
      if (existing) {
        this.#retire(existing.job, 'replaced');
        summary.changed.push(definition.name);
      } else {
        summary.added.push(definition.name);
      }
      const job = new Job(definition, this.#createHandler(definition), this.#clock);
      this.#jobs.set(definition.name, { job, fingerprint: print });
      job.start();
    }
    return summary;
  }

  /** Stops every job and waits (until the deadline) for runs in progress to be reported. */
  async stopAll(deadline = Date.now() + 10_000): Promise<void> {
    for (const { job } of this.#jobs.values()) this.#retire(job, 'shutdown');
    this.#jobs.clear();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
    });
    const outcome = await Promise.race([Promise.all(this.#retiring).then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') throw new Error('runs still in progress at the shutdown deadline');
  }

  #retire(job: Job, reason: 'removed' | 'replaced' | 'shutdown'): void {
    const retired = job.stop().then(() => job.handler.close(reason));
    this.#retiring.add(retired);
    void retired.finally(() => this.#retiring.delete(retired));
  }
}
