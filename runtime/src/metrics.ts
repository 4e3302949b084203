// First: prom-client gets the OTel API's ES build, not a second copy (see one-otel-api.ts).
import './one-otel-api.ts';
import { trace } from '@opentelemetry/api';
import { collectDefaultMetrics, Gauge, Histogram, type OpenMetricsContentType, Registry } from 'prom-client';
import { removeOtelApiHook } from './one-otel-api.ts';
import { provideRegistry } from './registry-slot.ts';

removeOtelApiHook();

export { Counter, Gauge, Histogram } from 'prom-client';

/**
 * One registry per process, rendered as OpenMetrics: that is the only format that carries exemplars,
 * which link a latency bucket to the trace that landed in it.
 */
export const registry = new Registry<OpenMetricsContentType>();
registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
collectDefaultMetrics({ register: registry });
provideRegistry(registry);

/** Latency buckets in seconds, from 1 ms to 10 s: wide enough for proxies and probes alike. */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The exemplar for the current span, if it is sampled: the label Grafana's exemplar link is set to. */
export function currentExemplar(): Record<string, string> | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || (spanContext.traceFlags & 1) === 0) return undefined;
  return { trace_id: spanContext.traceId };
}

/** Observes a duration and, inside a sampled span, attaches the trace id as the bucket's exemplar. */
export function observeSeconds<T extends string>(
  histogram: Histogram<T>,
  labels: Partial<Record<T, string | number>>,
  seconds: number,
  exemplarLabels = currentExemplar(),
): void {
  // prom-client accepts only the object form of observe() when exemplars are on, and only the
  // positional form when they are off; either other call throws "Value is not a valid number".
  if ((histogram as { enableExemplars?: boolean }).enableExemplars) {
    // prom-client types exemplar labels with the metric's label names; trace_id is not one of them.
    histogram.observe({ labels, value: seconds, exemplarLabels: (exemplarLabels ?? {}) as never });
  } else histogram.observe(labels, seconds);
}

/** A histogram in seconds with exemplars on, registered in the process registry. */
export function latencyHistogram<T extends string>(name: string, help: string, labelNames: readonly T[]) {
  return new Histogram<T>({
    name,
    help,
    labelNames,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
    enableExemplars: true,
  });
}

export function gauge<T extends string>(name: string, help: string, labelNames: readonly T[] = []) {
  return new Gauge<T>({ name, help, labelNames, registers: [registry] });
}

/** HTTP methods as a label: any method outside the standard set is `_OTHER` (OTel semconv), so that
 * clients cannot mint unbounded series. */
const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'QUERY',
]);

export function methodLabel(method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : '_OTHER';
}
