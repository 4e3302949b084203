// The shapes the pipeline's parts share. Kept apart from their implementations so that a policy depends
// on these interfaces only, never on another policy or on the server.
import type { Dispatcher } from 'undici';
import type { RouteMetrics, TargetMetrics } from '../telemetry/metrics.ts';
import type { Exchange } from './exchange.ts';
import type { LocalOutcome, Outcome } from './outcome.ts';

/**
 * What the steps above hand the tries below: bounds only, read-only. A step that changes one passes a
 * new object down `next()` (e.g. the timeout policy sets the deadline, retry the per-try timeout); no
 * step writes another's state.
 */
export interface AttemptOptions {
  /** Absolute time (the request clock's scale) after which no new try starts and a pending one is cut. */
  readonly deadlineAt: number;
  /** The overall timeout the deadline comes from, in ms, for messages; 0 when none. */
  readonly deadlineMs: number;
  /** Bound on each try, up to its response head. */
  readonly perTryTimeoutMs: number;
}

/** The options the pipeline starts with: no deadline, no per-try bound. */
export const UNBOUNDED: AttemptOptions = Object.freeze({
  deadlineAt: Number.POSITIVE_INFINITY,
  deadlineMs: 0,
  perTryTimeoutMs: Number.POSITIVE_INFINITY,
});

/** The rest of the pipeline, as seen from one step. */
export type Next = (exchange: Exchange, options: AttemptOptions) => Promise<Outcome>;

/** One upstream address in a group, with its connection pool. */
export interface Target {
  /** The origin, e.g. http://10.0.0.5:8080; also the `target` metric label. */
  readonly origin: string;
  readonly hostname: string;
  readonly port: number;
  readonly weight: number;
  readonly pool: Dispatcher;
  readonly metrics: TargetMetrics;
  /** Attempts in flight to this target on this route (least-request balancing). */
  active: number;
}

/**
 * Admission of one attempt to one target, consulted by the balancer. The per-target circuit breaker (the
 * proxy's failure detector) is one; the balancer knows only this interface.
 */
export interface TargetGate {
  /** Claims passage for one attempt; null when the target must be skipped. */
  acquire(target: Target): number | null;
  /** Reports the attempt's outcome with the permit acquire() gave. */
  release(target: Target, permit: number, outcome: Outcome): void;
  /**
   * The answer when no target of the group was admitted; undefined to balance over all of them anyway
   * (panic mode).
   */
  rejection(exchange: Exchange): LocalOutcome | undefined;
  /** Whether the target is out now (an open circuit), without claiming anything: for target_up. */
  isOpen?(target: Target): boolean;
  /** The group's targets now (discovery changes them): the route's view is over these. */
  track?(targets: readonly Target[]): void;
}

export interface UpstreamGroup {
  readonly name: string;
  /** The targets now (a discovered group's change at run time). */
  readonly targets: readonly Target[];
  /** The next target for an attempt, skipping `avoid` (the previous try) when another one exists. */
  pick(exchange: Exchange, avoid: Target | undefined): Target;
  /** The targets that may take an attempt now (not failing their health checks). */
  available(): readonly Target[];
  /** Milliseconds between body chunks before the stream is given up. */
  readonly idleTimeoutMs: number;
  /** The status when no target could be reached: 502 or 503. */
  readonly unreachableStatus: 502 | 503;
}

export interface StaticResponse {
  status: number;
  body: string;
  contentType: string;
  headers: string[];
}

export interface Rewrite {
  host?: string;
  stripPrefix?: string;
  addPrefix?: string;
  /** name, value pairs set on the upstream request (lowercase names). */
  setRequestHeaders: string[];
  removeRequestHeaders: Set<string>;
  setResponseHeaders: string[];
  removeResponseHeaders: Set<string>;
  /** Which X-Forwarded-* headers are appended upstream. */
  forwardedFor: boolean;
  forwardedProto: boolean;
  forwardedHost: boolean;
}

export interface CompiledRoute {
  readonly name: string;
  /** What http.route reports: the match pattern, or the name. */
  readonly template: string;
  readonly staticResponse?: StaticResponse;
  readonly upstream?: UpstreamGroup;
  readonly rewrite?: Rewrite;
  readonly gates: readonly TargetGate[];
  readonly metrics: RouteMetrics;
  /** The composed policies, ending in the balancer and the upstream. */
  run: Next;
  /** Requests in flight on this route (the retry budget's base). */
  active: number;
}
