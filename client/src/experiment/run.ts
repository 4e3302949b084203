// Runs one experiment: the steady state before, the method with the steady state checked during it,
// the rollbacks (always), the steady state after, and the verdict. One trace for the whole run, with
// every probe run and control request in it; a JSON journal of everything; metrics and a Grafana
// annotation for the fault window.
import { writeFile } from 'node:fs/promises';
import { type Span, SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from '@sre-stack/runtime';
import { type Clock, systemClock } from '../clock.ts';
import { tracer } from '../tracing.ts';
import { FaultWindowAnnotation, type GrafanaTarget } from './grafana.ts';
import type { Experiment } from './load.ts';
import { type ExperimentPhase, enterPhase, recordVerdict, type Verdict } from './metrics.ts';
import { checkLines, phaseLine, stepLine, verdictLines } from './report.ts';
import type { Step } from './schema.ts';
import { type CheckResult, checkSteadyState } from './steady-state.ts';
import { runStep, type StepResult } from './steps.ts';

/** Faults set without expires_in outlive the planned run by this much, so a killed prober heals too. */
const FAULT_EXPIRY_MARGIN_MS = 60_000;

export const EXIT_CODES: Record<Verdict, number> = { held: 0, deviated: 1, aborted: 2 };

export interface Journal {
  title: string;
  file: string;
  started_at: string;
  ended_at: string;
  verdict: Verdict;
  exit_code: number;
  reason: string;
  interrupted: boolean;
  trace_id?: string;
  tolerance: { success_ratio?: number; p95_ms?: number; window_ms: number };
  checks: CheckResult[];
  steps: StepResult[];
  /** When faults were in force: from the method's start to the end of the rollbacks. */
  fault_window?: { start: string; end: string };
}

export interface RunExperimentOptions {
  logger: Logger;
  location: string;
  /** Aborting it (SIGINT) stops the method and the checks; the rollbacks still run. */
  signal: AbortSignal;
  /** Each line of the readable report, as it happens. */
  print: (line: string) => void;
  logRuns: boolean;
  journalFile?: string;
  grafana?: GrafanaTarget;
  clock?: Clock;
}

export function runExperiment(experiment: Experiment, options: RunExperimentOptions): Promise<Journal> {
  const { title } = experiment.config;
  return tracer.startActiveSpan(
    `experiment ${title}`,
    { attributes: { 'chaos.experiment.title': title, 'chaos.experiment.file': experiment.file } },
    async (span) => {
      try {
        const journal = await run(experiment, options, span);
        span.setAttribute('chaos.experiment.verdict', journal.verdict);
        if (journal.verdict !== 'held')
          span.setStatus({ code: SpanStatusCode.ERROR, message: `${journal.verdict}: ${journal.reason}` });
        return journal;
      } finally {
        span.end();
      }
    },
  );
}

async function run(experiment: Experiment, options: RunExperimentOptions, span: Span): Promise<Journal> {
  const { config } = experiment;
  const { title } = config;
  const { signal, print, logger } = options;
  const clock = options.clock ?? systemClock;
  const iso = () => new Date(clock.now()).toISOString();
  const journal: Journal = {
    title,
    file: experiment.file,
    started_at: iso(),
    ended_at: '',
    verdict: 'aborted',
    exit_code: 2,
    reason: '',
    interrupted: false,
    tolerance: {
      ...(experiment.tolerance.successRatio !== undefined
        ? { success_ratio: experiment.tolerance.successRatio }
        : {}),
      ...(experiment.tolerance.p95Ms !== undefined ? { p95_ms: experiment.tolerance.p95Ms } : {}),
      window_ms: config.steady_state.window,
    },
    checks: [],
    steps: [],
  };
  const traceId = span.spanContext().traceId;
  if (/[1-9a-f]/.test(traceId)) journal.trace_id = traceId;
  print(`experiment: ${title}${journal.trace_id ? `   (trace ${journal.trace_id})` : ''}`);
  const phase = <T>(name: ExperimentPhase | 'steady_state_during', work: () => Promise<T>): Promise<T> => {
    if (name !== 'steady_state_during') enterPhase(title, name);
    logger.info({ experiment: title, phase: name }, `experiment phase: ${name}`);
    return tracer.startActiveSpan(`experiment phase ${name}`, async (phaseSpan) => {
      try {
        return await work();
      } finally {
        phaseSpan.end();
      }
    });
  };
  const observe = (name: string, stop: AbortSignal) =>
    checkSteadyState({
      phase: name,
      definitions: experiment.definitions,
      tolerance: experiment.tolerance,
      windowMs: config.steady_state.window,
      signal: stop,
      logger,
      location: options.location,
      logRuns: options.logRuns,
      clock,
    });
  const record = (result: CheckResult): CheckResult => {
    journal.checks.push(result);
    for (const line of checkLines(result)) print(line);
    return result;
  };
  const faultExpiryMs = experiment.plannedMs + FAULT_EXPIRY_MARGIN_MS;
  const steps = async (list: Step[], which: 'method' | 'rollbacks', stepSignal: AbortSignal) => {
    let failed: StepResult | undefined;
    for (const [index, step] of list.entries()) {
      if (which === 'method' && (failed || stepSignal.aborted)) break;
      const result = await runStep(step, { phase: which, index, signal: stepSignal, faultExpiryMs, clock });
      journal.steps.push(result);
      print(stepLine(result));
      if (!result.ok) failed ??= result;
    }
    return failed;
  };

  let reason: string;
  let verdict: Verdict;
  print(phaseLine('steady_state_before'));
  const before = record(await phase('steady_state_before', () => observe('steady_state_before', signal)));
  let methodFailure: StepResult | undefined;
  let during: CheckResult | undefined;
  let faultStart: number | undefined;
  let annotation: FaultWindowAnnotation | undefined;
  if (before.held) {
    print(phaseLine('method'));
    faultStart = clock.now();
    if (options.grafana) {
      annotation = new FaultWindowAnnotation(options.grafana, logger);
      await annotation.open(title, faultStart);
    }
    // The check during the method runs beside its steps; a failed step (or Ctrl-C) stops both.
    const methodStop = new AbortController();
    const stopMethod = () => methodStop.abort();
    signal.addEventListener('abort', stopMethod, { once: true });
    const outcome = await phase('method', async () => {
      const duringCheck = phase('steady_state_during', () =>
        observe('steady_state_during', methodStop.signal),
      );
      const failure = await steps(config.method, 'method', methodStop.signal);
      if (failure) methodStop.abort();
      return { failure, check: await duringCheck };
    });
    signal.removeEventListener('abort', stopMethod);
    methodFailure = outcome.failure;
    print(phaseLine('steady_state_during'));
    during = record(outcome.check);
  }

  // Rollbacks always run, and are not interrupted: a second Ctrl-C is the caller's to handle.
  print(phaseLine('rollbacks'));
  const rollbackFailure = await phase('rollbacks', () =>
    steps(config.rollbacks, 'rollbacks', new AbortController().signal),
  );
  if (config.rollbacks.length === 0) print('   (none)');
  const faultEnd = clock.now();
  if (faultStart !== undefined)
    journal.fault_window = {
      start: new Date(faultStart).toISOString(),
      end: new Date(faultEnd).toISOString(),
    };

  let after: CheckResult | undefined;
  if (before.held && !methodFailure && !rollbackFailure && !signal.aborted) {
    print(phaseLine('steady_state_after'));
    after = record(await phase('steady_state_after', () => observe('steady_state_after', signal)));
  }

  journal.interrupted = signal.aborted;
  const rolledBackBadly =
    rollbackFailure && `a rollback failed (${rollbackFailure.description}: ${rollbackFailure.error})`;
  if (!before.held && !signal.aborted) {
    // The first cause leads (often the stack is not running at all); a rollback that failed as well
    // (against that same stopped stack) comes second.
    verdict = 'aborted';
    reason = `the steady state did not hold before the method (${before.deviations.join('; ')}); nothing was injected`;
    if (rolledBackBadly) reason += `; ${rolledBackBadly.replace('a rollback', 'a rollback also')}`;
  } else if (rolledBackBadly) {
    verdict = 'aborted';
    reason = `${rolledBackBadly}; check the system by hand`;
  } else if (signal.aborted) {
    verdict = 'aborted';
    reason = 'interrupted; the rollbacks ran';
  } else if (methodFailure) {
    verdict = 'aborted';
    reason = `a method step failed (${methodFailure.description}: ${methodFailure.error}); the rollbacks ran`;
  } else if (!during?.held) {
    verdict = 'deviated';
    reason = `the hypothesis did not hold during the method: ${during?.deviations.join('; ')}`;
  } else if (!after?.held) {
    verdict = 'deviated';
    reason = `the system did not return to the steady state after the rollbacks: ${after?.deviations.join('; ')}`;
  } else {
    verdict = 'held';
    reason = 'the hypothesis held before, during and after the fault';
  }
  journal.verdict = verdict;
  journal.reason = reason;
  journal.exit_code = EXIT_CODES[verdict];
  journal.ended_at = iso();
  enterPhase(title, 'idle');
  recordVerdict(title, verdict);
  await annotation?.close(title, faultEnd, verdict);
  for (const line of verdictLines(title, verdict, reason, journal.exit_code)) print(line);
  logger.info({ experiment: title, verdict, reason, exit_code: journal.exit_code }, `experiment ${verdict}`);
  if (options.journalFile)
    await writeFile(options.journalFile, `${JSON.stringify(snakeKeys(journal), null, 2)}\n`);
  return journal;
}

/** The journal is snake_case throughout, like the experiment file. */
function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
      snakeKeys(item),
    ]),
  );
}
