// The contract every policy module fulfils. A policy is a folder under src/policies/ exporting a
// PolicyDefinition (index.ts) and its config section (config.ts); the registry (policies/index.ts) has
// one entry per policy, the config schema takes each section's `schema` as `policies.<key>` of a route,
// and the pipeline orders the definitions by `order`.
// Adding a policy touches neither the others nor the server.
import type { Logger } from '@sre-stack/runtime';
import type { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { SharedState } from '../state/state.ts';
import type { Exchange } from './exchange.ts';
import type { Outcome } from './outcome.ts';
import type { AttemptOptions, Next, Target, TargetGate } from './types.ts';

export interface PolicyContext {
  /** The route's name: the `route` label of the policy's metrics. */
  route: string;
  /** Whether the route forwards (false for static routes). */
  upstream: boolean;
  /** The route's upstream targets as configured (empty for static routes and discovered groups). */
  targets: readonly Target[];
  clock: Clock;
  logger: Logger;
  /**
   * Worker threads serving. Informational: a policy whose counts must hold for the whole proxy keeps
   * them in `shared`, not divided by this.
   */
  workers: number;
  /**
   * The state every worker thread sees (see state/state.ts): `shared.record(key, now)` gives a record of
   * numbers to lock, read and write. Key it by route and settings, so that a reload keeps it.
   */
  shared: SharedState;
  random: () => number;
}

export interface Policy {
  /**
   * Wraps the rest of the pipeline for one request. Per-request state lives in this call (locals, a
   * closure), not on the exchange; bounds for the tries go down as a new `options` passed to `next`,
   * and anything to report comes back up on the outcome (see pipeline/outcome.ts).
   */
  handle?(exchange: Exchange, next: Next, options: AttemptOptions): Promise<Outcome>;
  /** Admits attempts per target; consulted by the balancer. */
  gate?: TargetGate;
  /** Stops timers when a reload replaces the policy. */
  dispose?(): void;
}

export interface PolicyDefinition<S extends z.ZodType = z.ZodType> {
  /** The config section under `policies`, e.g. `retry`. */
  key: string;
  /** Position in the pipeline, outermost first: rate limit 100, timeout 150, circuit breaker 200, retry 300. */
  order: number;
  schema: S;
  /** When set, the policy is on for every route, with this (input) config unless the route sets its own. */
  defaultConfig?: z.input<S>;
  create(config: z.output<S>, context: PolicyContext): Policy;
}

/** Keeps the config type of each definition while the registry holds them as one list. */
export function definePolicy<S extends z.ZodType>(definition: PolicyDefinition<S>): PolicyDefinition<S> {
  return definition;
}

/** Composes the handle() steps around the final step (balancer and upstream), outermost first. */
export function compose(policies: readonly Policy[], last: Next): Next {
  let next = last;
  for (let index = policies.length - 1; index >= 0; index--) {
    const policy = policies[index] as Policy;
    const handle = policy.handle;
    if (!handle) continue;
    const inner = next;
    next = (exchange, options) => handle.call(policy, exchange, inner, options);
  }
  return next;
}
