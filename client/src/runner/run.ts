// One run of a probe or action: a span around the HTTP exchange, assertions, classification, and the
// report made while the span is still active (so log lines carry its trace_id and metrics its exemplar).
import { isSpanContextValid, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Definition, RequestSpec, RunResult } from '../types.ts';
import { displayUrl } from '../url/display.ts';
import { checkExpectations, needsBody } from './assertions.ts';
import { classifyError, describeError } from './classify.ts';
import type { HttpOutcome, HttpTransport } from './http.ts';

const tracer = trace.getTracer('@sre-stack/client');

export interface RunOptions {
  request: RequestSpec;
  /** The probe's HTTP transport: each run on a connection of its own. */
  transport: HttpTransport;
  /** When the run was planned (epoch ms); lag is measured against it. */
  plannedAt: number;
  now: () => number;
  location: string;
  /** Called inside the span, before it ends. */
  report: (result: RunResult, outcome: HttpOutcome) => void;
}

export function runDefinition(definition: Definition, options: RunOptions): Promise<RunResult> {
  const { request } = options;
  return tracer.startActiveSpan(
    `${definition.kind} ${definition.name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'probe.name': definition.name,
        'probe.kind': definition.kind,
        'probe.location': options.location,
        'probe.schedule': definition.schedule.text,
        'http.request.method': request.method,
        // Never the URL as configured: it may hold a password or a token.
        'url.full': displayUrl(request.url),
      },
    },
    async (span) => {
      try {
        const startedAt = options.now();
        const outcome = await options.transport.exchange(request, {
          timeoutMs: definition.timeoutMs,
          captureBody: needsBody(definition.expect),
          now: options.now,
        });
        const result = toResult(definition, request, outcome, options.plannedAt, startedAt);
        const spanContext = span.spanContext();
        if (isSpanContextValid(spanContext)) result.traceId = spanContext.traceId;
        annotate(span, result);
        options.report(result, outcome);
        return result;
      } finally {
        span.end();
      }
    },
  );
}

function toResult(
  definition: Definition,
  request: RequestSpec,
  outcome: HttpOutcome,
  plannedAt: number,
  startedAt: number,
): RunResult {
  const result: RunResult = {
    kind: definition.kind,
    name: definition.name,
    method: request.method,
    url: displayUrl(request.url),
    scheduledAt: plannedAt,
    startedAt,
    lagMs: Math.max(0, Math.round((startedAt - plannedAt) * 1000) / 1000),
    durationMs: outcome.durationMs,
    phases: outcome.phases,
    success: false,
    assertions: [],
  };
  if (outcome.error !== undefined) {
    result.errorType = classifyError(outcome.error, outcome.timedOut);
    result.error =
      result.errorType === 'timeout' && outcome.timedOut
        ? `no complete response within ${definition.timeoutMs}ms`
        : describeError(outcome.error).replaceAll(request.url, displayUrl(request.url));
    if (outcome.statusCode !== undefined) result.statusCode = outcome.statusCode;
    return result;
  }
  result.statusCode = outcome.statusCode as number;
  result.assertions = checkExpectations(definition.expect, {
    statusCode: result.statusCode,
    durationMs: outcome.durationMs,
    headers: outcome.headers,
    body: outcome.body,
  });
  const failed = result.assertions.filter((assertion) => !assertion.ok);
  result.success = failed.length === 0;
  if (failed.some((assertion) => assertion.name === 'status')) {
    result.errorType = 'http_status';
    result.error = `status ${result.statusCode}, expected ${definition.expect.statusText}`;
  } else if (failed.length > 0) {
    result.errorType = 'assertion_failed';
    result.error = failed.map((assertion) => `${assertion.name}: expected ${assertion.expected}`).join('; ');
  }
  return result;
}

function annotate(span: Span, result: RunResult): void {
  span.setAttributes({
    'probe.success': result.success,
    'probe.duration_ms': result.durationMs,
    'probe.lag_ms': result.lagMs,
  });
  if (result.statusCode !== undefined) span.setAttribute('http.response.status_code', result.statusCode);
  for (const assertion of result.assertions) {
    if (!assertion.ok) {
      span.addEvent('assertion failed', {
        'assertion.name': assertion.name,
        'assertion.expected': assertion.expected,
        'assertion.actual': assertion.actual,
      });
    }
  }
  if (!result.success) {
    span.setAttribute('error.type', result.errorType ?? 'other');
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? '' });
  }
}
