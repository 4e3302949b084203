// Wires each definition to the runner and the reporters: the JobHandler the scheduler calls. Holds the
// per-probe state (up/down, recent window, last result) that /probes shows.
import type { Logger } from '@sre-stack/runtime';
import { type Clock, systemClock } from './clock.ts';
import { logRun, logTransition } from './reporters/log.ts';
import {
  forgetDefinition,
  probeConsecutiveFailures,
  probeUp,
  recordLag,
  recordRun,
  recordSkipped,
  registerDefinition,
} from './reporters/metrics.ts';
import { StateTracker, type Transition } from './reporters/state.ts';
import { RecentWindow } from './reporters/window.ts';
import { HttpTransport } from './runner/http.ts';
import { runDefinition } from './runner/run.ts';
import type { JobHandler } from './scheduler/job.ts';
import type { Definition, RequestSpec, RunResult, SkipReason } from './types.ts';

export class ProbeContext implements JobHandler {
  readonly definition: Definition;
  readonly state: StateTracker;
  readonly window = new RecentWindow();
  last: RunResult | undefined;
  readonly #monitor: Monitor;
  readonly #transport: HttpTransport;

  constructor(definition: Definition, monitor: Monitor) {
    this.definition = definition;
    this.#monitor = monitor;
    this.state = new StateTracker(definition.failureThreshold, definition.successThreshold);
    this.#transport = new HttpTransport(definition.tls);
  }

  run(request: RequestSpec, plannedAt: number): Promise<RunResult> {
    const { logger, location, clock } = this.#monitor;
    const { kind, name } = this.definition;
    return runDefinition(this.definition, {
      request,
      transport: this.#transport,
      plannedAt,
      now: clock.now,
      location,
      report: (result, outcome) => {
        const transition = this.state.record(result.success, result.startedAt + result.durationMs);
        this.window.add(result.startedAt, result.success, result.durationMs);
        this.last = result;
        if (this.#monitor.recordsMetrics)
          recordRun(this.definition, result, this.state, outcome.certificateExpiry);
        logRun(logger, result, location, this.definition.kind === 'probe' ? this.state : undefined);
        if (transition && this.definition.kind === 'probe') {
          logTransition(logger, this.definition, transition, this.state, location);
        }
        this.#monitor.onResult?.(this.definition, result, transition);
      },
    }).catch((error: unknown) => {
      // Failures of the target are results; this is a bug in the prober, and must not pass silently.
      logger.error({ kind, [kind]: name, err: error }, `${kind} run crashed`);
      throw error;
    });
  }

  skipped(reason: SkipReason, count: number): void {
    const { kind, name } = this.definition;
    recordSkipped(name, reason, count);
    const why =
      reason === 'overlap'
        ? 'the previous run is still in progress'
        : 'the process was stalled past the planned time';
    this.#monitor.logger.warn({ kind, [kind]: name, reason, count }, `${kind} run skipped: ${why}`);
  }

  lagged(lagMs: number): void {
    recordLag(lagMs);
  }

  close(reason: 'removed' | 'replaced' | 'shutdown'): void {
    this.#transport.close();
    this.#monitor.closed(this, reason);
  }
}

export interface MonitorOptions {
  logger: Logger;
  location: string;
  clock?: Clock;
  /** --once reports to logs only. */
  recordsMetrics?: boolean;
  /** Called after each run is reported (the status page's history). */
  onResult?: (definition: Definition, result: RunResult, transition: Transition | undefined) => void;
}

export class Monitor {
  readonly logger: Logger;
  readonly location: string;
  readonly clock: Clock;
  readonly recordsMetrics: boolean;
  readonly onResult: MonitorOptions['onResult'];
  /** The current context of each name (a replaced one is dropped when its successor is created). */
  readonly contexts = new Map<string, ProbeContext>();

  constructor(options: MonitorOptions) {
    this.logger = options.logger;
    this.location = options.location;
    this.clock = options.clock ?? systemClock;
    this.recordsMetrics = options.recordsMetrics ?? true;
    this.onResult = options.onResult;
  }

  /** The scheduler's HandlerFactory. */
  readonly createHandler = (definition: Definition): ProbeContext => {
    const context = new ProbeContext(definition, this);
    this.contexts.set(definition.name, context);
    if (this.recordsMetrics) registerDefinition(definition, this.location);
    return context;
  };

  closed(context: ProbeContext, reason: 'removed' | 'replaced' | 'shutdown'): void {
    if (reason === 'shutdown' || !this.recordsMetrics) return;
    const { definition } = context;
    const successor = this.contexts.get(definition.name);
    if (successor === context) this.contexts.delete(definition.name);
    if (reason === 'removed') {
      if (successor === context) forgetDefinition(definition);
      return;
    }
    if (!successor) return;
    if (successor.definition.kind !== definition.kind) {
      forgetDefinition(definition);
      registerDefinition(successor.definition, this.location);
    } else if (successor.last === undefined && definition.kind === 'probe') {
      // The successor starts from "unknown": do not show the old state until it has run.
      probeUp.remove({ probe: definition.name });
      probeConsecutiveFailures.remove({ probe: definition.name });
    }
  }
}
