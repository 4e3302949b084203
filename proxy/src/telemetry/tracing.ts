// Spans made by hand: one SERVER span per request, one CLIENT span per upstream attempt. The generic
// http/undici instrumentations are off for the proxy (see bin/proxy.mjs): they would cost more per request
// and could not say which attempt a span was. Context is never made active on the hot path; parents are
// passed explicitly, and the attempt's traceparent is injected with the global propagator, so
// OTEL_PROPAGATORS (b3, jaeger, ...) applies.
import {
  type Context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { isValidSpanContext, rootContext, unrecordedSpan } from '@sre-stack/runtime';

const tracer = trace.getTracer('@sre-stack/proxy');

/**
 * Whether spans are recorded. With no exporter configured nothing would ever read a recorded span, so
 * the proxy then only mints span contexts: ids for logs, exemplars and the upstream's traceparent, with
 * the parent's sampling decision (or sampled, for a new trace), as the default parentbased sampler would.
 */
let recording = true;

export function setSpanRecording(on: boolean): void {
  recording = on;
}

const headerGetter = {
  get(carrier: Record<string, string | string[] | undefined>, key: string) {
    return carrier[key];
  },
  keys(carrier: Record<string, unknown>) {
    return Object.keys(carrier);
  },
};

const flatListSetter: TextMapSetter<string[]> = {
  set(carrier, key, value) {
    carrier.push(key, value);
  },
};

let propagationFields: Set<string> | undefined;
/** The default propagators (W3C trace context and baggage): the common case gets a shortcut. */
let defaultPropagators = false;

function fields(): Set<string> {
  if (propagationFields === undefined) {
    propagationFields = new Set(propagation.fields().map((field) => field.toLowerCase()));
    defaultPropagators =
      propagationFields.size === 3 &&
      ['traceparent', 'tracestate', 'baggage'].every((name) => propagationFields?.has(name));
  }
  return propagationFields;
}

/** Headers the configured propagators own (traceparent, b3, uber-trace-id...): replaced, never forwarded. */
export function isPropagationHeader(name: string): boolean {
  return fields().has(name);
}

/** The caller's context (trace and baggage) from the request headers; the root context without one. */
export function extractContext(headers: Record<string, string | string[] | undefined>): Context {
  fields();
  // Nothing to extract: skip the composite propagator's walk.
  if (defaultPropagators && headers.traceparent === undefined && headers.baggage === undefined)
    return rootContext;
  return propagation.extract(rootContext, headers, headerGetter);
}

type Attributes = Record<string, string | number>;

/** The attributes are only computed when the span is recorded. */
export function startServerSpan(parent: Context, name: () => string, attributes: () => Attributes): Span {
  if (!recording) return unrecordedSpan(trace.getSpanContext(parent));
  return tracer.startSpan(name(), { kind: SpanKind.SERVER, attributes: attributes() }, parent);
}

export function startClientSpan(
  parent: Context,
  serverSpan: Span,
  name: string,
  attributes: () => Attributes,
): Span {
  if (!recording) return unrecordedSpan(serverSpan.spanContext());
  return tracer.startSpan(
    name,
    { kind: SpanKind.CLIENT, attributes: attributes() },
    trace.setSpan(parent, serverSpan),
  );
}

/** Adds the propagation headers for `span` (and the caller's baggage) to a flat header list. */
export function injectContext(parent: Context, span: Span, headers: string[]): void {
  fields();
  if (defaultPropagators && parent === rootContext) {
    // What the W3C propagator writes, without building a context for it: no baggage came in.
    const context = span.spanContext();
    if (!isValidSpanContext(context)) return;
    headers.push('traceparent', `00-${context.traceId}-${context.spanId}-${flagsHex(context.traceFlags)}`);
    if (context.traceState) headers.push('tracestate', context.traceState.serialize());
    return;
  }
  propagation.inject(trace.setSpan(parent, span), headers, flatListSetter);
}

/** The trace flags as two hex digits; a table, since Number#toString(16) is a call into the runtime. */
const FLAGS_HEX = Array.from({ length: 256 }, (_, flags) => flags.toString(16).padStart(2, '0'));

function flagsHex(flags: number): string {
  return FLAGS_HEX[flags & 0xff] as string;
}

export function endSpan(
  span: Span,
  status: number | undefined,
  errorType: string | undefined,
  server: boolean,
): void {
  if (span.isRecording()) {
    if (status !== undefined && status > 0) span.setAttribute('http.response.status_code', status);
    // Server spans are errors only for 5xx; client spans for 4xx too (OTel HTTP semconv).
    if (errorType !== undefined) {
      span.setAttribute('error.type', errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (status !== undefined && status >= (server ? 500 : 400)) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  span.end();
}

export { type Context, type Span, trace };
