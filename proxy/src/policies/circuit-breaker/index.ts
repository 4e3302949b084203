// Circuit breaker, per route and target: every attempt's outcome counts for the target it went to, and
// N failures in a row (5xx answers or transport errors) open that target's circuit. The balancer asks
// the breakers before each attempt (this policy is a TargetGate): an open target is skipped, a retry
// goes to another target if one admits it, and when none does the request is refused with 503 and
// Retry-After, without touching the upstream. A route with one target has one breaker.
//
// Counting attempts rather than whole requests is what Envoy's outlier detection does: each attempt is
// load on the upstream, and a retry storm against a failing target is exactly what should trip it.
// undici 8.12 has no circuit-breaker interceptor; one would also sit below the balancer's choice and
// the proxy's own per-attempt telemetry.
import { duration } from '@sre-stack/runtime';
import { z } from 'zod';
import { ANSWERS } from '../../pipeline/answers.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import { isUpstreamFailure, type LocalOutcome } from '../../pipeline/outcome.ts';
import { definePolicy, type Policy, type PolicyContext } from '../../pipeline/policy.ts';
import type { TargetGate } from '../../pipeline/types.ts';
import { LeanCounter, LeanGauge } from '../../telemetry/lean-metrics.ts';
import { type BreakerSettings, CircuitBreaker, stateAt } from './breaker.ts';

const stateGauge = new LeanGauge(
  'proxy_circuit_state',
  'Circuit breaker state per route and target: 0 closed, 1 half-open, 2 open (one state shared by every worker thread).',
  ['route', 'target'],
  'max',
);
const transitions = new LeanCounter(
  'proxy_circuit_transitions_total',
  'Circuit breaker state changes, by the state entered (open, half_open, closed).',
  ['route', 'target', 'to'],
);
const rejected = new LeanCounter(
  'proxy_circuit_rejected_total',
  'Requests (or retries) refused with 503 because every target of the route had an open circuit.',
  ['route'],
);

const schema = z.strictObject({
  consecutiveFailures: z.int().min(1).default(5).meta({
    description: 'Failures in a row (5xx answers or transport errors) that open the circuit. Default 5.',
  }),
  openFor: duration().prefault('10s').meta({
    description: 'How long an open circuit refuses requests before one trial is let through. Default 10s.',
  }),
  trialTimeout: duration().prefault('5s').meta({
    description: 'A half-open trial without a verdict by then counts as a failure and reopens. Default 5s.',
  }),
});

export const circuitBreakerPolicy = definePolicy({
  key: 'circuitBreaker',
  order: 200,
  schema,
  create(config, context): Policy {
    const settings: BreakerSettings = {
      consecutiveFailures: config.consecutiveFailures,
      openForMs: config.openFor,
      trialTimeoutMs: config.trialTimeout,
    };
    // A static route has no upstream to protect.
    return context.upstream ? perTarget(settings, context) : {};
  },
});

function instrumentedBreaker(
  settings: BreakerSettings,
  context: PolicyContext,
  target: string,
): CircuitBreaker {
  const gauge = stateGauge.child(context.route, target);
  // One record per route, target and settings, shared by every worker thread; a reload that keeps the
  // settings keeps the state.
  const key = `circuit|${context.route}|${target}|${settings.consecutiveFailures}|${settings.openForMs}|${settings.trialTimeoutMs}`;
  const record = context.shared.record(key, context.clock.now());
  gauge.read = () => stateAt(record, context.clock.now());
  const breaker: CircuitBreaker = new CircuitBreaker(
    settings,
    context.clock,
    (to, from) => {
      transitions.child(context.route, target, to).inc();
      const fields = { route: context.route, target, from, to, failures: breaker.failures };
      if (to === 'open') context.logger.warn(fields, `circuit opened for ${settings.openForMs} ms`);
      else
        context.logger.info(fields, `circuit ${to === 'closed' ? 'closed' : 'half-open: one trial request'}`);
    },
    record,
  );
  return breaker;
}

function refusal(route: string, breaker: CircuitBreaker, what: string): LocalOutcome {
  return ANSWERS.circuitOpen(route, what, breaker.retryAfterSeconds());
}

function perTarget(settings: BreakerSettings, context: PolicyContext): Policy {
  const breakers = new Map<string, CircuitBreaker>();
  for (const target of context.targets)
    breakers.set(target.origin, instrumentedBreaker(settings, context, target.origin));
  const refused = rejected.child(context.route);
  const what = context.targets.length === 1 ? `${context.targets[0]?.origin}` : 'every target';
  // Discovered targets appear at run time: their breakers are made on first use.
  const breakerFor = (origin: string): CircuitBreaker => {
    let breaker = breakers.get(origin);
    if (!breaker) {
      breaker = instrumentedBreaker(settings, context, origin);
      breakers.set(origin, breaker);
    }
    return breaker;
  };
  const gate: TargetGate = {
    acquire: (target) => breakerFor(target.origin).acquire(),
    release: (target, permit, outcome) => breakers.get(target.origin)?.release(permit, verdict(outcome)),
    rejection(_exchange: Exchange) {
      refused.inc();
      // The soonest any target may take a request again.
      const soonest = [...breakers.values()].reduce((best, breaker) =>
        breaker.retryAfterSeconds() < best.retryAfterSeconds() ? breaker : best,
      );
      return refusal(context.route, soonest, what);
    },
  };
  return {
    gate,
    dispose: () => {
      for (const breaker of breakers.values()) breaker.dispose();
    },
  };
}

function verdict(outcome: Parameters<typeof isUpstreamFailure>[0]): boolean | null {
  const failed = isUpstreamFailure(outcome);
  return failed === null ? null : !failed;
}
