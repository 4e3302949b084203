// What a retry may be for. Names follow Envoy's retry_on: 5xx, gateway-error (502, 503, 504),
// connect-failure, reset, plus per-try-timeout and explicit status codes (e.g. 429).
import type { Outcome } from '../../pipeline/outcome.ts';

export const CONDITIONS = ['5xx', 'gateway-error', 'connect-failure', 'reset', 'per-try-timeout'] as const;
export type Condition = (typeof CONDITIONS)[number] | number;

export interface RetryConditions {
  statuses: Set<number>;
  connectFailure: boolean;
  reset: boolean;
  perTryTimeout: boolean;
}

export function compileConditions(on: readonly Condition[]): RetryConditions {
  const statuses = new Set<number>();
  const conditions: RetryConditions = { statuses, connectFailure: false, reset: false, perTryTimeout: false };
  for (const condition of on) {
    if (typeof condition === 'number') statuses.add(condition);
    else if (condition === '5xx') for (let code = 500; code < 600; code++) statuses.add(code);
    else if (condition === 'gateway-error') for (const code of [502, 503, 504]) statuses.add(code);
    else if (condition === 'connect-failure') conditions.connectFailure = true;
    else if (condition === 'reset') conditions.reset = true;
    else if (condition === 'per-try-timeout') conditions.perTryTimeout = true;
  }
  return conditions;
}

/** The reason to retry this outcome (the `reason` label), or null when it stands. */
export function retryReason(outcome: Outcome, conditions: RetryConditions): string | null {
  if (outcome.kind === 'response')
    return conditions.statuses.has(outcome.status) ? String(outcome.status) : null;
  if (outcome.kind !== 'failure') return null;
  switch (outcome.failure) {
    case 'connect_failure':
      return conditions.connectFailure ? 'connect_failure' : null;
    case 'reset':
      return conditions.reset ? 'reset' : null;
    case 'per_try_timeout':
      return conditions.perTryTimeout ? 'per_try_timeout' : null;
    default:
      // The deadline, a client that left, or an unknown error: another try cannot help.
      return null;
  }
}
