// One run of a probe or action: a span around the HTTP exchange, assertions, classification, and the
// report made while the span is still active (so log lines carry its trace_id and metrics its exemplar).
// The tracer is passed in, and this file takes only the OTel API's types: --once, which exports nothing,
// runs without spans and without loading the API.
import type { Span, SpanStatusCode, Tracer } from '@opentelemetry/api';
import type { Definition, RequestSpec, RunResult } from '../types.ts';
import { displayUrl } from '../url/display.ts';
import { checkExpectations, needsBody } from './assertions.ts';
import { classifyError, describeError } from './classify.ts';
import type { HttpOutcome, HttpTransport } from './http.ts';

const STATUS_ERROR = 2 satisfies SpanStatusCode.ERROR;
/** The trace id of a span that belongs to no trace (the API's no-op tracer makes them). */
const INVALID_TRACE_ID = '0'.repeat(32);

export interface RunOptions {
  request: RequestSpec;
  /** The probe's HTTP transport: each run on a connection of its own. */
  transport: HttpTransport;
  /** When the run was planned (epoch ms); lag is measured against it. */
  plannedAt: number;
  now: () => number;
  location: string;
  /** Where the run's span comes from; without one the run has no span and its result no trace id. */
  tracer?: Tracer | undefined;
  /** Called inside the span, before it ends. */
  report: (result: RunResult, outcome: HttpOutcome) => void;
}

export function runDefinition(definition: Definition, options: RunOptions): Promise<RunResult> {
  const { request, tracer } = options;
  if (tracer === undefined) return exchangeAndReport(definition, options, undefined);
  return tracer.startActiveSpan(
    `${definition.kind} ${definition.name}`,
    {
      // The default kind, INTERNAL: the HTTP client instrumentation makes the CLIENT span under it.
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
        return await exchangeAndReport(definition, options, span);
      } finally {
        span.end();
      }
    },
  );
}

async function exchangeAndReport(
  definition: Definition,
  options: RunOptions,
  span: Span | undefined,
): Promise<RunResult> {
  const startedAt = options.now();
  const outcome = await options.transport.exchange(options.request, {
    timeoutMs: definition.timeoutMs,
    captureBody: needsBody(definition.expect),
    now: options.now,
  });
  const result = toResult(definition, options.request, outcome, options.plannedAt, startedAt);
  if (span !== undefined) {
    const { traceId } = span.spanContext();
    if (traceId !== INVALID_TRACE_ID) result.traceId = traceId;
    annotate(span, result);
  }
  options.report(result, outcome);
  return result;
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
    span.setStatus({ code: STATUS_ERROR, message: result.error ?? '' });
  }
}
