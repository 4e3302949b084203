// One check of the steady-state hypothesis: every probe runs on its interval for the window, and the
// runs together are held against the tolerance (success ratio at least, p95 at most). Probe runs are
// the prober's own (runner/run.ts), so each is a span in the experiment's trace and a log line.
import type { Logger } from '@sre-stack/runtime';
import { type Clock, systemClock } from '../clock.ts';
import { logRun } from '../reporters/log.ts';
import { percentile } from '../reporters/window.ts';
import { HttpTransport } from '../runner/http.ts';
import { runDefinition } from '../runner/run.ts';
import { tracer } from '../tracing.ts';
import type { Definition, RequestSpec } from '../types.ts';

export interface Tolerance {
  successRatio?: number;
  p95Ms?: number;
}

export interface CheckResult {
  phase: string;
  startedAt: string;
  endedAt: string;
  runs: number;
  successes: number;
  successRatio: number | null;
  p95Ms: number | null;
  tolerance: Tolerance;
  held: boolean;
  /** Why it did not hold, one sentence each; empty when it held. */
  deviations: string[];
  /** The first failures, for the report: "503 at +1.2s". */
  failures: string[];
  interrupted: boolean;
}

export interface CheckOptions {
  phase: string;
  definitions: Definition[];
  tolerance: Tolerance;
  windowMs: number;
  signal: AbortSignal;
  logger: Logger;
  location: string;
  /** Log each probe run (the long-running prober does; the CLI prints a report instead). */
  logRuns: boolean;
  clock?: Clock;
}

/** Runs in flight per probe at most: a target that hangs must not pile up sockets. */
const MAX_IN_FLIGHT = 64;
const KEPT_FAILURES = 5;

export async function checkSteadyState(options: CheckOptions): Promise<CheckResult> {
  const { signal, windowMs, clock = systemClock } = options;
  const started = clock.now();
  const durations: number[] = [];
  let successes = 0;
  const failures: string[] = [];
  const running = new Set<Promise<unknown>>();
  const schedules = options.definitions.map(async (definition) => {
    const transport = new HttpTransport(definition.tls);
    const period = definition.schedule.periodMs;
    const request = definition.requests[0] as RequestSpec;
    for (let tick = 0; ; tick++) {
      const plannedAt = started + tick * period;
      if (plannedAt - started >= windowMs || signal.aborted) break;
      await waitUntil(clock, plannedAt, signal);
      if (signal.aborted) break;
      if (running.size >= MAX_IN_FLIGHT) continue;
      const run = runDefinition(definition, {
        request,
        transport,
        plannedAt,
        now: clock.now,
        location: options.location,
        tracer,
        report: (result) => {
          if (options.logRuns) logRun(options.logger, result, options.location);
        },
      }).then((result) => {
        durations.push(result.durationMs);
        if (result.success) successes++;
        else if (failures.length < KEPT_FAILURES)
          failures.push(
            `${result.statusCode ?? result.errorType} at +${((result.startedAt - started) / 1000).toFixed(1)}s`,
          );
      });
      running.add(run);
      void run.finally(() => running.delete(run));
    }
    transport.close();
  });
  await Promise.all(schedules);
  await Promise.all(running);
  return judge(options, durations, successes, failures, new Date(started), clock);
}

function judge(
  options: CheckOptions,
  durations: number[],
  successes: number,
  failures: string[],
  startedAt: Date,
  clock: Clock,
): CheckResult {
  const { tolerance } = options;
  const runs = durations.length;
  const successRatio = runs === 0 ? null : successes / runs;
  const p95Ms = percentile(
    [...durations].sort((a, b) => a - b),
    0.95,
  );
  const deviations: string[] = [];
  if (runs === 0) deviations.push('no probe run completed');
  if (tolerance.successRatio !== undefined && successRatio !== null && successRatio < tolerance.successRatio)
    deviations.push(`success ratio ${format(successRatio)} is below ${format(tolerance.successRatio)}`);
  if (tolerance.p95Ms !== undefined && p95Ms !== null && p95Ms > tolerance.p95Ms)
    deviations.push(`p95 ${Math.round(p95Ms)}ms is above ${tolerance.p95Ms}ms`);
  return {
    phase: options.phase,
    startedAt: startedAt.toISOString(),
    endedAt: new Date(clock.now()).toISOString(),
    runs,
    successes,
    successRatio,
    p95Ms: p95Ms === null ? null : Math.round(p95Ms * 10) / 10,
    tolerance,
    held: deviations.length === 0 && !options.signal.aborted,
    deviations,
    failures,
    interrupted: options.signal.aborted,
  };
}

const format = (value: number) => value.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');

/** Resolves at `at` on the clock, or at once when the signal aborts. */
export function waitUntil(clock: Clock, at: number, signal: AbortSignal): Promise<void> {
  const ms = at - clock.now();
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clock.clearTimeout(handle);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const handle = clock.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
