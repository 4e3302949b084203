// The proxy's own metrics: per route (downstream) and per route and target (upstream attempts).
// Policies register theirs in their own folders. Children are bound once per route and target, so a
// request costs a few additions (see the runtime's lean-metrics.ts).
import { LATENCY_BUCKETS_SECONDS, methodLabel } from '@sre-stack/runtime';
import {
  type CounterChild,
  type GaugeChild,
  type HistogramChild,
  LeanCounter,
  LeanGauge,
  LeanHistogram,
  removeSeries,
} from '@sre-stack/runtime/lean-metrics';
import { ResponseMetrics } from './response-metrics.ts';

const requests = new LeanCounter(
  'proxy_requests_total',
  'Responses sent downstream, by route, method and status code (499: the client left first).',
  ['route', 'method', 'code'],
);
const requestDuration = new LeanHistogram(
  'proxy_request_duration_seconds',
  'Downstream request duration, from the request head to the last response byte, all tries included.',
  ['route'],
  LATENCY_BUCKETS_SECONDS,
);
const inFlight = new LeanGauge('proxy_requests_in_flight', 'Requests being handled, by route.', ['route']);
const attempts = new LeanCounter(
  'proxy_upstream_attempts_total',
  'Upstream attempts (first tries and retries), by route, target and result: the status code, or ' +
    'connect_failure, reset, per_try_timeout, deadline, client_abort or error when no response came.',
  ['route', 'target', 'code'],
);
const attemptDuration = new LeanHistogram(
  'proxy_upstream_attempt_duration_seconds',
  'Duration of each upstream attempt, from dispatch to the end of its response (or its failure).',
  ['route', 'target'],
  LATENCY_BUCKETS_SECONDS,
);

export class RouteMetrics {
  readonly route: string;
  readonly inFlight: GaugeChild;
  readonly duration: HistogramChild;
  /** Who decided each answer, and the latency the proxy added. */
  readonly responses: ResponseMetrics;
  private readonly byMethod = new Map<string, CounterChild[]>();

  constructor(route: string) {
    this.route = route;
    this.inFlight = inFlight.child(route);
    this.duration = requestDuration.child(route);
    this.responses = new ResponseMetrics(route);
  }

  /** The counter for one method and status code; cached, since both sets are small. */
  requests(method: string, status: number): CounterChild {
    const label = methodLabel(method);
    let byStatus = this.byMethod.get(label);
    if (!byStatus) {
      byStatus = [];
      this.byMethod.set(label, byStatus);
    }
    let child = byStatus[status];
    if (!child) {
      child = requests.child(this.route, label, String(status));
      byStatus[status] = child;
    }
    return child;
  }
}

export class TargetMetrics {
  readonly route: string;
  readonly target: string;
  readonly duration: HistogramChild;
  private readonly byResult = new Map<number | string, CounterChild>();

  constructor(route: string, target: string) {
    this.route = route;
    this.target = target;
    this.duration = attemptDuration.child(route, target);
  }

  /** Counts one attempt by its status code or failure kind. */
  attempt(result: number | string): CounterChild {
    let child = this.byResult.get(result);
    if (!child) {
      child = attempts.child(this.route, this.target, String(result));
      this.byResult.set(result, child);
    }
    return child;
  }
}

/** Drops the series of routes a reload removed, so /metrics does not keep reporting them. */
export function forgetRoute(route: string): void {
  removeSeries({ route });
}
