// The end of every pipeline: choose a target (asking the gates, e.g. per-target circuit breakers) and
// make one attempt.

import { ANSWERS } from '../pipeline/answers.ts';
import type { Exchange } from '../pipeline/exchange.ts';
import { failure, type Outcome } from '../pipeline/outcome.ts';
import type { AttemptOptions, Target, TargetGate } from '../pipeline/types.ts';
import { Attempt } from './attempt.ts';

export function forward(exchange: Exchange, options: AttemptOptions): Promise<Outcome> {
  const route = exchange.route!;
  const group = route.upstream!;
  const targets = group.targets;
  if (targets.length === 0) {
    return Promise.resolve(ANSWERS.noUpstream(route.name, group.name));
  }
  if (options.deadlineAt <= exchange.clock.now()) {
    return Promise.resolve(
      failure('deadline', `no response within the route's ${options.deadlineMs} ms deadline`),
    );
  }
  const gates = route.gates;
  let target = group.pick(exchange, exchange.target);
  let permits: number[] | undefined;
  if (gates.length > 0) {
    const admitted = admit(gates, group.available(), targets, target);
    if (admitted) {
      target = admitted.target;
      permits = admitted.permits;
    } else {
      const refusal = (gates[0] as TargetGate).rejection(exchange);
      if (refusal) return Promise.resolve(refusal);
      // Panic mode: the balancer's pick, with no permit, so its verdict is not counted: the circuits'
      // trials decide when a target is back.
    }
  }
  exchange.attempts++;
  exchange.target = target;
  const attempt = new Attempt(exchange, target, exchange.attempts, options);
  if (permits !== undefined) {
    const granted = permits;
    const chosen = target;
    // Told before the pipeline sees the outcome, so that a retry finds the circuit up to date.
    attempt.onOutcome = (outcome) => {
      gates.forEach((gate, index) => {
        gate.release(chosen, granted[index] as number, outcome);
      });
    };
  }
  return attempt.start(exchange.upstreamHeaders.slice());
}

/**
 * The first target, starting at the balancer's pick, that every gate admits: the available (passing
 * their health checks) targets first, then, only if none of them is admitted, the others.
 */
function admit(
  gates: readonly TargetGate[],
  available: readonly Target[],
  targets: readonly Target[],
  preferred: Target,
): { target: Target; permits: number[] } | undefined {
  const first = tryTargets(gates, available, preferred);
  if (first !== undefined || available.length === targets.length) return first;
  return tryTargets(
    gates,
    targets.filter((target) => !available.includes(target)),
    undefined,
  );
}

function tryTargets(
  gates: readonly TargetGate[],
  targets: readonly Target[],
  preferred: Target | undefined,
): { target: Target; permits: number[] } | undefined {
  const start = preferred === undefined ? 0 : Math.max(0, targets.indexOf(preferred));
  for (let offset = 0; offset < targets.length; offset++) {
    const target = targets[(start + offset) % targets.length] as Target;
    const permits: number[] = [];
    for (const gate of gates) {
      const permit = gate.acquire(target);
      if (permit === null) break;
      permits.push(permit);
    }
    if (permits.length === gates.length) return { target, permits };
    // A partial admission is handed back as if nothing happened.
    permits.forEach((permit, index) => {
      (gates[index] as TargetGate).release(target, permit, {
        kind: 'local',
        status: 0,
        body: '',
        decidedBy: 'error',
      });
    });
  }
  return undefined;
}
