// A SERVER span per request, made by hand: the generic http instrumentation costs several times more per
// request (it wraps every emitter and listener of the request and response, and reads a dozen attributes
// the server does not need). The caller's trace comes in through the configured propagators, so
// OTEL_PROPAGATORS (b3, jaeger, ...) applies here as everywhere else.
import type { IncomingMessage } from 'node:http';
import {
  type Context,
  INVALID_SPAN_CONTEXT,
  INVALID_TRACEID,
  isSpanContextValid,
  propagation,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { rootContext } from './lean-context.ts';
import { activeTelemetry, type TelemetryState } from './state.ts';

const tracer = trace.getTracer('@sre-stack/runtime');

const headerGetter = {
  get: (carrier: IncomingMessage['headers'], key: string) => carrier[key],
  keys: (carrier: IncomingMessage['headers']) => Object.keys(carrier),
};

/**
 * Whether spans are recorded. With no exporter configured nothing ever reads a recorded span, so only a
 * span context is made: ids for log lines and exemplars, with the caller's sampling decision, or sampled
 * for a new trace, as the default parent-based sampler decides. A sampler named in OTEL_TRACES_SAMPLER
 * is always asked.
 */
function recording(telemetry: TelemetryState): boolean {
  // Asked per request: the answer is kept per started SDK, as reading process.env costs a getenv().
  if (telemetry !== recordingFor) {
    recordingFor = telemetry;
    recordingAnswer = telemetry.tracesExported || Boolean(process.env.OTEL_TRACES_SAMPLER?.trim());
  }
  return recordingAnswer;
}

let recordingFor: TelemetryState | undefined;
let recordingAnswer = false;

const ID_BYTES = Buffer.allocUnsafe(16);

function randomId(bytes: 8 | 16): string {
  let any = 0;
  for (let offset = 0; offset < bytes; offset += 4) {
    const word = (Math.random() * 2 ** 32) >>> 0;
    any |= word;
    ID_BYTES.writeUInt32BE(word, offset);
  }
  return any === 0 ? randomId(bytes) : ID_BYTES.toString('hex', 0, bytes);
}

/**
 * The context of a span this process made up: one shape for every one (a literal with an optional
 * spread gave each its own map transitions), and valid by construction, so never checked again.
 */
class MintedSpanContext implements SpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly traceState: SpanContext['traceState'];

  constructor(traceId: string, spanId: string, traceFlags: number, traceState: SpanContext['traceState']) {
    this.traceId = traceId;
    this.spanId = spanId;
    this.traceFlags = traceFlags;
    this.traceState = traceState;
  }
}

/** isSpanContextValid(), without its two regular expressions for a context made here. */
export function isValidSpanContext(context: SpanContext): boolean {
  return context instanceof MintedSpanContext || isSpanContextValid(context);
}

/** A span that only carries ids (nothing records it): the caller's trace, or a new sampled one. */
export function unrecordedSpan(parent: SpanContext | undefined): Span {
  const valid = parent !== undefined && isValidSpanContext(parent);
  return trace.wrapSpanContext(
    valid
      ? new MintedSpanContext(parent.traceId, randomId(8), parent.traceFlags, parent.traceState)
      : new MintedSpanContext(randomId(16), randomId(8), TraceFlags.SAMPLED, undefined),
  );
}

export interface ServerSpan {
  span: Span;
  /** The caller's context with this span in it: run the handler in it so its logs and exemplars link here. */
  context: Context;
}

/** The caller's context; a request that carries none of the propagators' headers skips their walk. */
function callerContext(headers: IncomingMessage['headers']): Context {
  // Header names are lower-case on both sides: Node's and every propagator's.
  if (!propagation.fields().some((field) => headers[field] !== undefined)) return rootContext;
  return propagation.extract(rootContext, headers, headerGetter);
}

/** Starts the SERVER span of an incoming request. `route` is the matched template, if any. */
export function startServerSpan(
  request: IncomingMessage,
  route: string | undefined,
  path: string,
): ServerSpan {
  const parent = callerContext(request.headers);
  const method = request.method ?? 'GET';
  let span: Span;
  const telemetry = activeTelemetry();
  if (telemetry === undefined) {
    // No SDK in this process (a test, a one-shot command): no ids to make up.
    span = trace.wrapSpanContext(trace.getSpanContext(parent) ?? INVALID_SPAN_CONTEXT);
  } else if (!recording(telemetry)) {
    span = unrecordedSpan(trace.getSpanContext(parent));
  } else {
    const attributes: Record<string, string | number> = {
      'http.request.method': method,
      'url.path': path,
      'url.scheme': 'http',
      'network.protocol.version': request.httpVersion,
    };
    if (route !== undefined) attributes['http.route'] = route;
    const port = request.socket.localPort;
    if (port !== undefined) attributes['server.port'] = port;
    const peer = request.socket.remoteAddress;
    if (peer !== undefined) attributes['network.peer.address'] = peer;
    const agent = request.headers['user-agent'];
    if (agent !== undefined) attributes['user_agent.original'] = agent;
    span = tracer.startSpan(
      route === undefined ? method : `${method} ${route}`,
      { kind: SpanKind.SERVER, attributes },
      parent,
    );
  }
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends the span with the response status; 5xx (and an abandoned request) marks it as an error. */
export function endServerSpan(span: Span, status: number, finished: boolean): void {
  if (span.isRecording()) {
    span.setAttribute('http.response.status_code', status);
    if (!finished) {
      span.setAttribute('error.type', 'aborted');
      span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (status >= 500) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  span.end();
}

/** The fields the pino instrumentation puts on a line written inside a span, for lines written after. */
export function traceFields(span: Span): { trace_id?: string; span_id?: string; trace_flags?: string } {
  const spanContext = span.spanContext();
  if (!isValidSpanContext(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`,
  };
}

/**
 * The trace id of a sampled span: what an exemplar links to (a lean histogram's observe() takes it).
 * Asked once per request, so only the flag and the all-zero id are checked: ids that reach a span were
 * validated when they were made or extracted.
 */
export function sampledTraceId(span: Span): string | undefined {
  const { traceId, traceFlags } = span.spanContext();
  return (traceFlags & TraceFlags.SAMPLED) !== 0 && traceId !== INVALID_TRACEID ? traceId : undefined;
}

/** The exemplar for a span if it is sampled (prom-client's shape): the label Grafana's link is set to. */
export function exemplarOf(span: Span): Record<string, string> | undefined {
  const traceId = sampledTraceId(span);
  return traceId === undefined ? undefined : { trace_id: traceId };
}
