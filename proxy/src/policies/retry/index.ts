// Retry with per-try timeout. A request is tried again when its outcome matches a condition (`on`),
// only before any byte went to the client (outcomes are committed above this policy), only for the
// listed methods (idempotent ones by default), with a body only if it was small enough to buffer, and
// only while the retry budget, the retry count and the route deadline allow. Waits use exponential
// backoff with full jitter, or the upstream's Retry-After on 429/503 when it is within the cap.
//
// undici's retry interceptor was not used: it retries transparently inside one dispatch, so the proxy
// could not make a span and a metric per try, pick another target per try, or hold the client response
// back until the decision; and it resumes bodies with Range requests, which a proxy must not do.
import { type CounterChild, LeanCounter } from '@sre-stack/runtime/lean-metrics';
import type { Exchange } from '../../pipeline/exchange.ts';
import { discardOutcome, failure, isUpstreamFailure, type Outcome } from '../../pipeline/outcome.ts';
import { definePolicy } from '../../pipeline/policy.ts';
import type { AttemptOptions, Next } from '../../pipeline/types.ts';
import { backoffMs } from './backoff.ts';
import { RetryBudget } from './budget.ts';
import { compileConditions, retryReason } from './conditions.ts';
import { retryConfig } from './config.ts';
import { retryAfterMs } from './retry-after.ts';

const retriesTotal = new LeanCounter(
  'proxy_retries_total',
  'Retries started, by route and reason: the status code retried, or connect_failure, reset, per_try_timeout.',
  ['route', 'reason'],
);
const rescued = new LeanCounter(
  'proxy_retry_rescued_total',
  'Requests that failed at first and succeeded on a retry (no 5xx, no transport error in the end).',
  ['route'],
);
const limitExceeded = new LeanCounter(
  'proxy_retry_limit_exceeded_total',
  'Requests still failing when their retries ran out.',
  ['route'],
);
const budgetExhausted = new LeanCounter(
  'proxy_retry_budget_exhausted_total',
  'Retries not made because the retry budget was used up (Envoy retry_overflow).',
  ['route'],
);

/** The outcome with this request's retry report on it; the same object when there is nothing to say. */
function reported(
  outcome: Outcome,
  reasons: readonly string[] | undefined,
  detail: string | undefined,
): Outcome {
  if (reasons === undefined && detail === undefined) return outcome;
  return { ...outcome, retry: { reasons, detail } };
}

export const retryPolicy = definePolicy({
  ...retryConfig,
  order: 300,
  create(config, context) {
    const conditions = compileConditions(config.on);
    const methods = new Set(config.methods);
    // One budget for the route across every worker thread (and kept by a reload that keeps its settings).
    const budget = new RetryBudget(
      config.budget.percent,
      config.budget.minConcurrent,
      context.shared.record(
        `retry-budget|${context.route}|${config.budget.percent}|${config.budget.minConcurrent}`,
        context.clock.now(),
      ),
    );
    const baseMs = config.backoff.base;
    const maxMs = config.backoff.max ?? 10 * baseMs;
    const perTry = config.perTryTimeout ?? Number.POSITIVE_INFINITY;
    const { route, random } = context;
    const byReason = new Map<string, CounterChild>();
    const rescuedChild = rescued.child(route);
    const exceededChild = limitExceeded.child(route);
    const exhaustedChild = budgetExhausted.child(route);

    const delayFor = (retry: number, outcome: Outcome): number | undefined => {
      if (outcome.kind === 'response' && (outcome.status === 429 || outcome.status === 503)) {
        const requested = retryAfterMs(outcome.headers['retry-after']);
        if (requested !== undefined) {
          if (requested > config.maxRetryAfter) return undefined;
          // Envoy's jitter for rate-limited backoff: random(interval, 1.5 * interval).
          return Math.min(config.maxRetryAfter, requested * (1 + random() / 2));
        }
      }
      return backoffMs(retry, baseMs, maxMs, random);
    };

    /** From the first try's outcome on: retries while the outcome calls for one. */
    const loop = async (
      exchange: Exchange,
      next: Next,
      options: AttemptOptions,
      first: Outcome,
    ): Promise<Outcome> => {
      // This request's retry state: the policy's own, handed up on the outcome (see reported()).
      let reasons: string[] | undefined;
      let outcome = first;
      for (let retry = 1; ; retry++) {
        const reason = retryReason(outcome, conditions);
        if (reason === null) {
          if (retry > 1 && isUpstreamFailure(outcome) === false) rescuedChild.inc();
          return reported(outcome, reasons, undefined);
        }
        if (retry > config.retries) {
          if (config.retries === 0) return reported(outcome, reasons, undefined);
          exceededChild.inc();
          return reported(outcome, reasons, `still failing after ${config.retries} retries`);
        }
        if (exchange.clientGone) return reported(outcome, reasons, undefined);
        const wait = delayFor(retry, outcome);
        if (wait === undefined) {
          return reported(
            outcome,
            reasons,
            `Retry-After above the ${config.maxRetryAfter} ms cap: not retried`,
          );
        }
        if (exchange.clock.now() + wait >= options.deadlineAt) {
          return reported(
            outcome,
            reasons,
            `no time left before the route's ${options.deadlineMs} ms deadline for another try`,
          );
        }
        if (!budget.tryAcquire()) {
          exhaustedChild.inc();
          return reported(outcome, reasons, 'retry budget exhausted: not retried');
        }
        let fresh: Outcome;
        try {
          if (wait > 0 && !(await exchange.sleep(wait))) {
            discardOutcome(outcome);
            return reported(failure('client_abort', 'the client closed the connection'), reasons, undefined);
          }
          fresh = await next(exchange, options);
        } finally {
          budget.release();
        }
        if (fresh.kind === 'local' && fresh.decidedBy === 'circuit_breaker') {
          // No target would take the retry (this request's own failures may have opened the circuit):
          // the answer is what happened to the last try, not a refusal it never met.
          return reported(outcome, reasons, 'circuit open: not retried');
        }
        let counter = byReason.get(reason);
        if (!counter) {
          counter = retriesTotal.child(route, reason);
          byReason.set(reason, counter);
        }
        counter.inc();
        if (reasons === undefined) reasons = [reason];
        else reasons.push(reason);
        discardOutcome(outcome);
        outcome = fresh;
      }
    };

    // The common case, a first try that stands, costs one then() and no async frame.
    const tryThenRetry = (exchange: Exchange, next: Next, options: AttemptOptions): Promise<Outcome> =>
      next(exchange, options).then((outcome) =>
        retryReason(outcome, conditions) === null ? outcome : loop(exchange, next, options, outcome),
      );

    const leave = (outcome: Outcome): Outcome => {
      budget.leave();
      return outcome;
    };
    const leaveAndThrow = (error: unknown): never => {
      budget.leave();
      throw error;
    };

    return {
      handle(exchange, next, options) {
        budget.enter();
        return retried(exchange, next, { ...options, perTryTimeoutMs: perTry }).then(leave, leaveAndThrow);
      },
    };

    function retried(exchange: Exchange, next: Next, options: AttemptOptions): Promise<Outcome> {
      if (!methods.has(exchange.method)) return next(exchange, options);
      const body = exchange.body;
      if (body === null || Buffer.isBuffer(body)) return tryThenRetry(exchange, next, options);
      return exchange.bufferBody(config.maxBufferedBody).then((buffered) => {
        if (exchange.clientGone) return failure('client_abort', 'the client closed the connection');
        return buffered ? tryThenRetry(exchange, next, options) : next(exchange, options);
      });
    }
  },
});
