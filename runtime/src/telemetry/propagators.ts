import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from './jaeger-propagator.ts';

const factories: Record<string, () => TextMapPropagator> = {
  tracecontext: () => new W3CTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new B3Propagator(),
  b3multi: () => new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
  jaeger: () => new JaegerPropagator(),
};

export const SUPPORTED_PROPAGATORS = Object.keys(factories);

/** Builds the propagator named by OTEL_PROPAGATORS (default `tracecontext,baggage`, as the spec says). */
export function propagatorFromEnv(value = process.env.OTEL_PROPAGATORS): {
  propagator: TextMapPropagator | null;
  unknown: string[];
} {
  const names = [
    ...new Set(
      (value || 'tracecontext,baggage')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  if (names.includes('none')) return { propagator: null, unknown: [] };
  const unknown = names.filter((name) => !factories[name]);
  const propagators = names.flatMap((name) => factories[name]?.() ?? []);
  return { propagator: new CompositePropagator({ propagators }), unknown };
}
