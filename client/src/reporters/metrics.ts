// Prometheus metrics, named as blackbox_exporter names them where it has a name (probe_*), prober_* for
// the scheduler itself. Labels are bounded: probe/action names come from the config, the rest from
// closed lists. Removing a probe from the config removes every series it had.
import { Counter, gauge, Histogram, latencyHistogram, observeSeconds, registry } from '@sre-stack/runtime';
import type { Definition, RunResult, SkipReason } from '../types.ts';
import { ERROR_TYPES, PHASES, SKIP_REASONS } from '../types.ts';
import { displayUrl } from '../url/display.ts';
import type { ProbeStatus } from './state.ts';

const RESULTS = ['success', 'failure'] as const;

// Counters are named without `_total`: the registry renders OpenMetrics, where prom-client appends it
// to the samples (probe_results → probe_results_total), as the format requires.

export const probeSuccess = gauge(
  'probe_success',
  'Whether the last run of the probe succeeded (1) or not (0).',
  ['probe'],
);
export const probeDuration = latencyHistogram(
  'probe_duration_seconds',
  'How long probe runs took, from the start of the connection to the end of the body.',
  ['probe'],
);
export const probeHttpDuration = gauge(
  'probe_http_duration_seconds',
  'Duration of each phase of the last run: resolve, connect, tls, processing, transfer.',
  ['probe', 'phase'],
);
export const probeStatusCode = gauge(
  'probe_http_status_code',
  'HTTP status code of the last run (0 when there was no response).',
  ['probe'],
);
export const probeResults = new Counter({
  name: 'probe_results',
  help: 'Probe runs by result (success or failure).',
  labelNames: ['probe', 'result'] as const,
  registers: [registry],
});
export const probeFailures = new Counter({
  name: 'probe_failures',
  help: 'Failed probe runs by error type: timeout, connection_refused, dns, reset, tls, http_status, assertion_failed, other.',
  labelNames: ['probe', 'error_type'] as const,
  registers: [registry],
});
export const probeInfo = gauge('probe_info', 'The configured probes (always 1).', [
  'probe',
  'method',
  'url',
  'schedule',
  'location',
]);
export const probeUp = gauge(
  'probe_up',
  'Flap-suppressed state: 1 up, 0 down (after failureThreshold failures); absent until the first run.',
  ['probe'],
);
export const probeConsecutiveFailures = gauge(
  'probe_consecutive_failures',
  'Failed runs in a row, 0 after a success.',
  ['probe'],
);
export const probeCertificateExpiry = gauge(
  'probe_ssl_earliest_cert_expiry',
  'Unix time at which the earliest certificate of the chain expires (https probes only).',
  ['probe'],
);
export const scheduleLag = new Histogram({
  name: 'prober_schedule_lag_seconds',
  help: 'Delay between the planned and the actual start of runs (probes and actions).',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});
export const runsSkipped = new Counter({
  name: 'prober_runs_skipped',
  help: 'Planned runs not made: overlap (the previous run was still going) or missed (the process was stalled). The probe label holds action names too.',
  labelNames: ['probe', 'reason'] as const,
  registers: [registry],
});
export const actionRuns = new Counter({
  name: 'prober_action_runs',
  help: 'Chaos action runs by result (success or failure).',
  labelNames: ['action', 'result'] as const,
  registers: [registry],
});
export const actionDuration = latencyHistogram(
  'prober_action_duration_seconds',
  'How long action runs took.',
  ['action'],
);
export const configuredJobs = gauge('prober_configured', 'Probes and actions in the config in force.', [
  'kind',
]);

const infoLabels = new Map<string, Record<string, string>>();

function infoOf(definition: Definition, location: string): Record<string, string> {
  const request = definition.requests[0];
  return {
    probe: definition.name,
    method: request?.method ?? '',
    url: request ? displayUrl(request.url) : '',
    schedule: definition.schedule.text,
    location,
  };
}

/** Creates the series of a definition at zero, so rates and absent() work from the first scrape. */
export function registerDefinition(definition: Definition, location: string): void {
  const name = definition.name;
  for (const reason of SKIP_REASONS) runsSkipped.inc({ probe: name, reason }, 0);
  if (definition.kind === 'action') {
    for (const result of RESULTS) actionRuns.inc({ action: name, result }, 0);
    return;
  }
  const labels = infoOf(definition, location);
  const previous = infoLabels.get(name);
  if (previous && JSON.stringify(previous) !== JSON.stringify(labels)) probeInfo.remove(previous);
  infoLabels.set(name, labels);
  probeInfo.set(labels, 1);
  for (const result of RESULTS) probeResults.inc({ probe: name, result }, 0);
  for (const errorType of ERROR_TYPES) probeFailures.inc({ probe: name, error_type: errorType }, 0);
}

/** Records one run; called inside the run's span, so histogram buckets get its trace as exemplar. */
export function recordRun(
  definition: Definition,
  result: RunResult,
  state: { status: ProbeStatus; consecutiveFailures: number },
  certificateExpiry?: number,
): void {
  const name = definition.name;
  const outcome = result.success ? 'success' : 'failure';
  const seconds = result.durationMs / 1000;
  if (definition.kind === 'action') {
    actionRuns.inc({ action: name, result: outcome });
    observeSeconds(actionDuration, { action: name }, seconds);
    return;
  }
  probeSuccess.set({ probe: name }, result.success ? 1 : 0);
  observeSeconds(probeDuration, { probe: name }, seconds);
  for (const phase of PHASES) probeHttpDuration.set({ probe: name, phase }, result.phases[phase] / 1000);
  probeStatusCode.set({ probe: name }, result.statusCode ?? 0);
  probeResults.inc({ probe: name, result: outcome });
  if (!result.success) probeFailures.inc({ probe: name, error_type: result.errorType ?? 'other' });
  if (state.status !== 'unknown') probeUp.set({ probe: name }, state.status === 'up' ? 1 : 0);
  probeConsecutiveFailures.set({ probe: name }, state.consecutiveFailures);
  if (certificateExpiry !== undefined) probeCertificateExpiry.set({ probe: name }, certificateExpiry);
}

/** A replaced probe's successor starts from "unknown": no state is shown until it has run. */
export function forgetState(probe: string): void {
  probeUp.remove({ probe });
  probeConsecutiveFailures.remove({ probe });
}

export function recordSkipped(name: string, reason: SkipReason, count: number): void {
  runsSkipped.inc({ probe: name, reason }, count);
}

export function recordLag(lagMs: number): void {
  scheduleLag.observe(lagMs / 1000);
}

export function recordConfigured(definitions: readonly Definition[]): void {
  configuredJobs.set(
    { kind: 'probe' },
    definitions.filter((definition) => definition.kind === 'probe').length,
  );
  configuredJobs.set(
    { kind: 'action' },
    definitions.filter((definition) => definition.kind === 'action').length,
  );
}

/** Removes every series of a definition that left the config. */
export function forgetDefinition(definition: Definition): void {
  const name = definition.name;
  for (const reason of SKIP_REASONS) runsSkipped.remove({ probe: name, reason });
  if (definition.kind === 'action') {
    for (const result of RESULTS) actionRuns.remove({ action: name, result });
    actionDuration.remove({ action: name });
    return;
  }
  const info = infoLabels.get(name);
  if (info) probeInfo.remove(info);
  infoLabels.delete(name);
  for (const single of [
    probeSuccess,
    probeStatusCode,
    probeUp,
    probeConsecutiveFailures,
    probeCertificateExpiry,
  ]) {
    single.remove({ probe: name });
  }
  probeDuration.remove({ probe: name });
  for (const phase of PHASES) probeHttpDuration.remove({ probe: name, phase });
  for (const result of RESULTS) probeResults.remove({ probe: name, result });
  for (const errorType of ERROR_TYPES) probeFailures.remove({ probe: name, error_type: errorType });
}
