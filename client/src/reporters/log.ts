// One JSON line per run: info when it succeeded, error when it failed. Written inside the run's span,
// so the OTel pino instrumentation adds trace_id and span_id. Field names are the dashboards' contract
// (documented in client/README.md); durations are in milliseconds.
import type { Logger } from '@sre-stack/runtime';
import type { Definition, RunResult } from '../types.ts';
import type { StateTracker, Transition } from './state.ts';

export function runFields(result: RunResult, location: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    kind: result.kind,
    [result.kind]: result.name,
    method: result.method,
    url: result.url,
    location,
    success: result.success,
    status_code: result.statusCode ?? null,
    duration_ms: result.durationMs,
    phases_ms: result.phases,
    scheduled_at: new Date(result.scheduledAt).toISOString(),
    lag_ms: result.lagMs,
    assertions: result.assertions,
  };
  if (!result.success) {
    fields.error_type = result.errorType;
    fields.error = result.error;
  }
  return fields;
}

export function logRun(logger: Logger, result: RunResult, location: string, state?: StateTracker): void {
  const fields = runFields(result, location);
  if (state) {
    fields.state = state.status;
    fields.consecutive_failures = state.consecutiveFailures;
  }
  if (isPinnedChaosAnswer(result)) {
    // Not a failure worth an error line: someone pinned chaos with PUT /flaky and a duration.
    fields.skipped = 'chaos_pinned';
    logger.info(
      fields,
      `action ${result.name} skipped: chaos is pinned on the server (409), flaky mode left as it is`,
    );
    return;
  }
  const message = `${result.kind} ${result.success ? 'succeeded' : 'failed'}`;
  if (result.success) logger.info(fields, message);
  else logger.error(fields, message);
}

/** The server's answer to a chaos action while chaos is pinned (see server/README.md, "Pinning chaos"). */
function isPinnedChaosAnswer(result: RunResult): boolean {
  if (result.kind !== 'action' || result.statusCode !== 409) return false;
  try {
    return new URL(result.url).pathname.endsWith('/flaky');
  } catch {
    return false;
  }
}

/** One line per state change: warn when a probe goes down, info when it comes (back) up. */
export function logTransition(
  logger: Logger,
  definition: Definition,
  transition: Transition,
  state: StateTracker,
  location: string,
): void {
  const fields = {
    kind: definition.kind,
    [definition.kind]: definition.name,
    location,
    state: transition.to,
    previous_state: transition.from,
    consecutive_failures: state.consecutiveFailures,
    consecutive_successes: state.consecutiveSuccesses,
  };
  const message = `probe ${definition.name} is ${transition.to}`;
  if (transition.to === 'down') logger.warn(fields, message);
  else logger.info(fields, message);
}
