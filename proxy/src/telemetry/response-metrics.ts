// Who answered, and what the proxy itself cost. The load-balancer format's spec asks for both:
// a proxy's SLIs are the answers it produces itself (not the upstream's), and the latency it adds kept
// apart from the upstream's.
//   proxy_responses_total{route, code_class, decided_by}  decided_by: upstream, retry, timeout,
//     circuit_breaker, rate_limit, static, no_route, no_upstream, redirect, stats, client_abort, error
//   proxy_added_latency_seconds{route}  the request's duration minus the time its upstream attempts took:
//     routing, policies, queueing and backoff waits between retries
import {
  type CounterChild,
  type HistogramChild,
  LeanCounter,
  LeanHistogram,
} from '@sre-stack/runtime/lean-metrics';

const responses = new LeanCounter(
  'proxy_responses_total',
  'Responses sent downstream, by route, status class (2xx, 4xx, ...) and what decided the answer: upstream, retry, ' +
    'timeout, circuit_breaker, rate_limit, static, no_route, no_upstream, redirect, stats, client_abort or error.',
  ['route', 'code_class', 'decided_by'],
);

/** Finer than the request buckets: the proxy's own share is usually well under a millisecond. */
export const ADDED_LATENCY_BUCKETS_SECONDS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

const addedLatency = new LeanHistogram(
  'proxy_added_latency_seconds',
  'Latency the proxy added to each request: its duration minus the time its upstream attempts took ' +
    '(routing, policies, queueing and backoff waits between retries).',
  ['route'],
  ADDED_LATENCY_BUCKETS_SECONDS,
);

export function codeClass(status: number): string {
  if (status < 100 || status > 599) return 'other';
  return `${Math.floor(status / 100)}xx`;
}

export class ResponseMetrics {
  readonly route: string;
  readonly added: HistogramChild;
  /** By status class (the hundreds digit), then decided_by: both small sets, and no key to build. */
  private readonly children: Map<string, CounterChild>[] = [];

  constructor(route: string) {
    this.route = route;
    this.added = addedLatency.child(route);
  }

  response(status: number, decidedBy: string): CounterChild {
    // codeClass() puts anything outside 100-599 in one class; so does slot 0 here.
    const hundreds = status >= 100 && status <= 599 ? Math.floor(status / 100) : 0;
    let byDecider = this.children[hundreds];
    if (!byDecider) {
      byDecider = new Map();
      this.children[hundreds] = byDecider;
    }
    let child = byDecider.get(decidedBy);
    if (!child) {
      child = responses.child(this.route, codeClass(status), decidedBy);
      byDecider.set(decidedBy, child);
    }
    return child;
  }

  /** Counts the response and the proxy's own share of its latency. */
  record(status: number, decidedBy: string, durationMs: number, upstreamMs: number, traceId?: string): void {
    this.response(status, decidedBy).inc();
    this.added.observe(Math.max(0, durationMs - upstreamMs) / 1000, traceId);
  }
}
