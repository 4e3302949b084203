// Wires each definition to the runner and the reporters: the JobHandler the scheduler calls. Holds the
// per-probe state (up/down, recent window, last result) that /probes shows.
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from '@sre-stack/runtime';
import { type Clock, systemClock } from './clock.ts';
import { logRun, logTransition } from './reporters/log.ts';
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
      tracer: this.#monitor.tracer,
      report: (result, outcome) => {
        const transition = this.state.record(result.success, result.startedAt + result.durationMs);
        this.window.add(result.startedAt, result.success, result.durationMs);
        this.last = result;
        this.#monitor.metrics?.recordRun(this.definition, result, this.state, outcome.certificateExpiry);
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
    this.#monitor.metrics?.recordSkipped(name, reason, count);
    const why =
      reason === 'overlap'
        ? 'the previous run is still in progress'
        : 'the process was stalled past the planned time';
    this.#monitor.logger.warn({ kind, [kind]: name, reason, count }, `${kind} run skipped: ${why}`);
  }

  lagged(lagMs: number): void {
    this.#monitor.metrics?.recordLag(lagMs);
  }

  close(reason: 'removed' | 'replaced' | 'shutdown'): void {
    this.#transport.close();
    this.#monitor.closed(this, reason);
  }
}

/**
 * The Prometheus side of the reports: the reporters/metrics module, passed in by the service that serves
 * /metrics. It is not imported here, so --once (which reports to logs only) loads no metrics library.
 */
export type ProbeMetrics = Pick<
  typeof import('./reporters/metrics.ts'),
  'registerDefinition' | 'recordRun' | 'recordSkipped' | 'recordLag' | 'forgetDefinition' | 'forgetState'
>;

export interface MonitorOptions {
  logger: Logger;
  location: string;
  clock?: Clock;
  /** Where runs are counted; without it they go to logs (and onResult) only. */
  metrics?: ProbeMetrics;
  /** Where runs' spans come from; without it runs have none (--once exports nothing). */
  tracer?: Tracer;
  /** Called after each run is reported (the status page's history). */
  onResult?: (definition: Definition, result: RunResult, transition: Transition | undefined) => void;
}

export class Monitor {
  readonly logger: Logger;
  readonly location: string;
  readonly clock: Clock;
  readonly metrics: ProbeMetrics | undefined;
  readonly tracer: Tracer | undefined;
  readonly onResult: MonitorOptions['onResult'];
  /** The current context of each name (a replaced one is dropped when its successor is created). */
  readonly contexts = new Map<string, ProbeContext>();

  constructor(options: MonitorOptions) {
    this.logger = options.logger;
    this.location = options.location;
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics;
    this.tracer = options.tracer;
    this.onResult = options.onResult;
  }

  /** The scheduler's HandlerFactory. */
  readonly createHandler = (definition: Definition): ProbeContext => {
    const context = new ProbeContext(definition, this);
    this.contexts.set(definition.name, context);
    this.metrics?.registerDefinition(definition, this.location);
    return context;
  };

  closed(context: ProbeContext, reason: 'removed' | 'replaced' | 'shutdown'): void {
    if (reason === 'shutdown') return;
    const { definition } = context;
    const successor = this.contexts.get(definition.name);
    if (successor === context) this.contexts.delete(definition.name);
    const { metrics } = this;
    if (metrics === undefined) return;
    if (reason === 'removed') {
      if (successor === context) metrics.forgetDefinition(definition);
      return;
    }
    if (!successor) return;
    if (successor.definition.kind !== definition.kind) {
      metrics.forgetDefinition(definition);
      metrics.registerDefinition(successor.definition, this.location);
    } else if (successor.last === undefined && definition.kind === 'probe') {
      // The successor starts from "unknown": do not show the old state until it has run.
      metrics.forgetState(definition.name);
    }
  }
}
