// Circuit breaker, per route and target: the proxy's one failure detector. Every attempt's outcome
// counts for the target it went to, and N failures in a row (5xx answers or transport errors) open that
// target's circuit, which is what ejects it: the balancer asks the breakers before each attempt (this
// policy is a TargetGate), so an open target is skipped and a retry goes to another target if one admits
// it. A target that fails its trial again is opened for longer each time (up to maxOpenFor). When no
// target admits the attempt, `whenAllOpen` decides: refuse with 503 and Retry-After without touching the
// upstream, or forward anyway over all targets (panic mode, as Envoy's outlier detection does).
//
// Counting attempts rather than whole requests is what Envoy's outlier detection does: each attempt is
// load on the upstream, and a retry storm against a failing target is exactly what should trip it.
// undici 8.12 has no circuit-breaker interceptor; one would also sit below the balancer's choice and
// the proxy's own per-attempt telemetry.
import { LeanCounter, LeanGauge } from '@sre-stack/runtime/lean-metrics';
import { ANSWERS } from '../../pipeline/answers.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import { isUpstreamFailure } from '../../pipeline/outcome.ts';
import { definePolicy, type Policy, type PolicyContext } from '../../pipeline/policy.ts';
import type { TargetGate } from '../../pipeline/types.ts';
import { type BreakerSettings, CircuitBreaker, type CircuitState, stateAt } from './breaker.ts';
import { type CircuitBreakerConfig, circuitBreakerConfig } from './config.ts';

const stateGauge = new LeanGauge(
  'proxy_circuit_state',
  'Circuit breaker state per route and target: 0 closed, 1 half-open, 2 open (one state shared by every worker thread).',
  ['route', 'target'],
  'max',
);
const routeStateGauge = new LeanGauge(
  'proxy_route_circuit_state',
  "A route's circuit, from its targets' states: 0 closed (some target admits requests), 1 half-open (the best target is), 2 open (none admits).",
  ['route'],
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

const CLOSED = 0;
const OPEN = 2;
const STATE_NAMES: CircuitState[] = ['closed', 'half_open', 'open'];

export const circuitBreakerPolicy = definePolicy({
  ...circuitBreakerConfig,
  order: 200,
  create(config, context): Policy {
    const settings: BreakerSettings = {
      consecutiveFailures: config.consecutiveFailures,
      openForMs: config.openFor,
      maxOpenForMs: config.maxOpenFor ?? config.openFor,
      trialTimeoutMs: config.trialTimeout,
    };
    // A static route has no upstream to protect.
    return context.upstream ? perTarget(settings, config.whenAllOpen, context) : {};
  },
});

interface Tracked {
  breaker: CircuitBreaker;
  /** The state the shared record shows now, without changing it. */
  stateNow: () => number;
}

function perTarget(
  settings: BreakerSettings,
  whenAllOpen: CircuitBreakerConfig['whenAllOpen'],
  context: PolicyContext,
): Policy {
  const tracked = new Map<string, Tracked>();
  const refused = rejected.child(context.route);
  const what = context.targets.length === 1 ? `${context.targets[0]?.origin}` : 'every target';
  /** The route's state with one target's replaced: the best of its targets. */
  const routeState = (origin?: string, state?: number): number => {
    let best = tracked.size === 0 ? CLOSED : OPEN;
    for (const [key, entry] of tracked)
      best = Math.min(best, key === origin ? (state as number) : entry.stateNow());
    return best;
  };
  routeStateGauge.child(context.route).read = () => routeState();
  // Reported by the thread that made the transition: the route's view before and after it.
  const routeChanged = (origin: string, to: CircuitState, from: CircuitState) => {
    const before = routeState(origin, STATE_NAMES.indexOf(from));
    const after = routeState(origin, STATE_NAMES.indexOf(to));
    if (after === OPEN && before !== OPEN) {
      context.logger.warn(
        { route: context.route, when_all_open: whenAllOpen },
        whenAllOpen === 'refuse'
          ? "every target's circuit is open: requests get 503 until one admits again"
          : "every target's circuit is open: balancing over all of them anyway (panic mode)",
      );
    } else if (before === OPEN && after !== OPEN) {
      context.logger.info({ route: context.route }, 'a target of the route admits requests again');
    }
  };
  // Discovered targets appear at run time: their breakers are made on first use.
  const breakerFor = (origin: string): CircuitBreaker => {
    let entry = tracked.get(origin);
    if (!entry) {
      entry = instrumentedBreaker(settings, context, origin, routeChanged);
      tracked.set(origin, entry);
    }
    return entry.breaker;
  };
  for (const target of context.targets) breakerFor(target.origin);
  const gate: TargetGate = {
    acquire: (target) => breakerFor(target.origin).acquire(),
    release: (target, permit, outcome) =>
      tracked.get(target.origin)?.breaker.release(permit, verdict(outcome)),
    isOpen: (target) => tracked.get(target.origin)?.stateNow() === OPEN,
    // Discovery replaced the targets: the route's view is over the current ones. A target that comes
    // back finds its state in the shared record.
    track(targets) {
      const current = new Set(targets.map((target) => target.origin));
      for (const origin of tracked.keys()) if (!current.has(origin)) tracked.delete(origin);
      for (const origin of current) breakerFor(origin);
    },
    rejection(_exchange: Exchange) {
      // Panic mode: better a request that might fail than a certain 503.
      if (whenAllOpen === 'forward') return undefined;
      refused.inc();
      // The soonest any target may take a request again.
      let soonest = Number.POSITIVE_INFINITY;
      for (const { breaker } of tracked.values()) soonest = Math.min(soonest, breaker.retryAfterSeconds());
      return ANSWERS.circuitOpen(context.route, what, Number.isFinite(soonest) ? soonest : 1);
    },
  };
  return {
    gate,
    dispose: () => {
      for (const { breaker } of tracked.values()) breaker.dispose();
    },
  };
}

function instrumentedBreaker(
  settings: BreakerSettings,
  context: PolicyContext,
  target: string,
  routeChanged: (origin: string, to: CircuitState, from: CircuitState) => void,
): Tracked {
  const gauge = stateGauge.child(context.route, target);
  // One record per route, target and settings of the state machine, shared by every worker thread; a
  // reload that keeps them keeps the state (whenAllOpen is not part of it).
  const key = `circuit|${context.route}|${target}|${settings.consecutiveFailures}|${settings.openForMs}|${settings.maxOpenForMs}|${settings.trialTimeoutMs}`;
  const record = context.shared.record(key, context.clock.now());
  const stateNow = () => stateAt(record, context.clock.now());
  gauge.read = stateNow;
  const breaker: CircuitBreaker = new CircuitBreaker(
    settings,
    context.clock,
    (to, from, openForMs) => {
      transitions.child(context.route, target, to).inc();
      const fields = { route: context.route, target, from, to, failures: breaker.failures };
      if (to === 'open')
        context.logger.warn({ ...fields, open_ms: openForMs }, `circuit opened for ${openForMs} ms`);
      else
        context.logger.info(fields, `circuit ${to === 'closed' ? 'closed' : 'half-open: one trial request'}`);
      routeChanged(target, to, from);
    },
    record,
  );
  return { breaker, stateNow };
}

function verdict(outcome: Parameters<typeof isUpstreamFailure>[0]): boolean | null {
  const failed = isUpstreamFailure(outcome);
  return failed === null ? null : !failed;
}
