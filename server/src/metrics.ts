// The server's metrics. Chaos state is exported as gauges so dashboards can shade flaky periods and
// show what the server was told to do next to what the probes saw.
import { Counter, gauge, LATENCY_BUCKETS_SECONDS, latencyHistogram, registry } from '@sre-stack/runtime';
import { LeanHistogram } from '@sre-stack/runtime/lean-metrics';
import type { ChangeKind, ChangeSource, ChaosSnapshot } from './chaos.ts';
import { summarizeLatency } from './latency.ts';

// Observed on every request, so a lean family: its series are bound once per label set, and an
// observation with its exemplar is a few additions (prom-client's hashes and validates per call).
export const requestDuration = new LeanHistogram(
  'http_server_request_duration_seconds',
  'Time from request arrival to the end of the response, injected delay included, by route template.',
  ['method', 'route', 'code'],
  LATENCY_BUCKETS_SECONDS,
);

export const injectedDelay = latencyHistogram(
  'flaky_server_injected_delay_seconds',
  'Delay flaky mode added to /status requests, as drawn from the latency profile.',
  [] as const,
);

const flakyEnabled = gauge('flaky_server_flaky_enabled', '1 while flaky mode is on, 0 while it is off.');
const configuredCode = gauge(
  'flaky_server_configured_status_code',
  'The steady status code set with POST /status/{code}; /status answers it while flaky mode is off.',
);
const errorRatio = gauge(
  'flaky_server_chaos_error_ratio',
  'Chance (0-1) that a flaky request answers a code from the chaos set instead of the steady code.',
);
const latencyMin = gauge('flaky_server_chaos_latency_min_seconds', 'Lower bound of the injected delay.');
const latencyMax = gauge('flaky_server_chaos_latency_max_seconds', 'Upper bound of the injected delay.');
const latencyMean = gauge(
  'flaky_server_chaos_latency_mean_seconds',
  'Configured mean of the injected delay distribution (before clamping).',
);
const chaosCodes = gauge(
  'flaky_server_chaos_codes',
  'How many status codes a flaky error can be drawn from (codes with a weight above 0).',
);

export const chaosChanges = new Counter({
  name: 'flaky_server_chaos_changes_total',
  help: 'Changes of the chaos state, by what changed (status_code, flaky, profile) and where from (api, config, pin_expired: the end of a pinned period restored the earlier state).',
  labelNames: ['source', 'change'] as const,
  registers: [registry],
});

/** Sets every chaos gauge from the current state; called at startup and on each change. */
export function exportChaosState(state: ChaosSnapshot): void {
  flakyEnabled.set(state.flaky ? 1 : 0);
  configuredCode.set(state.statusCode);
  errorRatio.set(state.profile.errorProbability);
  const latency = summarizeLatency(state.profile.latency);
  latencyMin.set(latency.minMs / 1000);
  latencyMax.set(latency.maxMs / 1000);
  latencyMean.set(latency.meanMs / 1000);
  chaosCodes.set(state.profile.codes.filter((code) => code.weight > 0).length);
}

export function countChaosChange(change: ChangeKind, source: ChangeSource): void {
  chaosChanges.inc({ source, change });
}

/** Pre-creates the counter's series at 0, so rate() and increase() see the first change. */
export function initChaosMetrics(state: ChaosSnapshot): void {
  for (const source of ['api', 'config', 'pin_expired'] as const)
    for (const change of ['status_code', 'flaky', 'profile'] as const)
      chaosChanges.inc({ source, change }, 0);
  exportChaosState(state);
}
