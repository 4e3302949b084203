// Every request is observed once, when its response closes: its SERVER span ends, one access-log line and
// one histogram observation, both naming that span (the line has trace_id, the bucket an exemplar).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, type Span, trace } from '@opentelemetry/api';
import {
  type DirectLine,
  endServerSpan,
  type Logger,
  methodLabel,
  rootContext,
  sampledTraceId,
  traceFields,
} from '@sre-stack/runtime';
import { requestDuration } from './metrics.ts';

export const UNMATCHED_ROUTE = 'unmatched';

export interface Observation {
  request: IncomingMessage;
  response: ServerResponse;
  /** Route template, or UNMATCHED_ROUTE. */
  route: string;
  path: string;
  /** Fields the endpoint adds to the access-log line while it runs. */
  log: Record<string, unknown>;
  logger: Logger;
  /** Milliseconds. */
  now: () => number;
  /** The request's SERVER span: ended here, named on the log line and in the exemplar. */
  span: Span;
  /** Writes the access-log line without pino, when the logger allows it (see directLine). */
  accessLine?: DirectLine;
  onClose?: () => void;
}

export function observeRequest(observation: Observation): void {
  const { request, response, route, path, log, logger, now, span } = observation;
  const start = now();
  const method = request.method ?? 'GET';
  response.once('close', () => {
    observation.onClose?.();
    const seconds = (now() - start) / 1000;
    // A request the client abandoned has no status worth a bucket; it is still logged.
    const finished = response.writableFinished;
    const status = response.statusCode;
    endServerSpan(span, status, finished);
    if (finished)
      requestDuration
        .child(methodLabel(method), route, String(status))
        .observe(seconds, sampledTraceId(span));
    const shownPath = path.length > 200 ? `${path.slice(0, 200)}...` : path;
    const durationMs = Math.round(seconds * 10_000) / 10;
    if (observation.accessLine) {
      observation.accessLine(accessFields(span, method, route, shownPath, status, durationMs, log, finished));
      return;
    }
    // Through pino (pretty output, or records sent over OTLP): inside the span's context, where an OTLP
    // record takes its trace from. The ids are named too: the instrumentation that adds them to a line
    // may be switched off.
    const fields = {
      ...traceFields(span),
      method,
      route,
      path: shownPath,
      status,
      duration_ms: durationMs,
      ...log,
      ...(finished ? {} : { aborted: true }),
    };
    inSpan(span, () => logger.info(fields, 'request'));
  });
}

/**
 * The fields of the pino call above as JSON, in the same order. The method is a token (the HTTP parser
 * admits nothing else), the route a template and the ids hex, so only the path and the endpoint's fields
 * need JSON.stringify.
 */
function accessFields(
  span: Span,
  method: string,
  route: string,
  path: string,
  status: number,
  durationMs: number,
  log: Record<string, unknown>,
  finished: boolean,
): string {
  const ids = traceFields(span);
  let out =
    ids.trace_id === undefined
      ? ''
      : `,"trace_id":"${ids.trace_id}","span_id":"${ids.span_id}","trace_flags":"${ids.trace_flags}"`;
  out += `,"method":"${method}","route":"${route}","path":${JSON.stringify(path)},"status":${status},"duration_ms":${durationMs}`;
  for (const key in log) {
    const value = log[key];
    if (value !== undefined) out += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return finished ? out : `${out},"aborted":true`;
}

/** Runs `write` inside the span's context: a log record sent over OTLP takes its trace from there. */
export function inSpan(span: Span, write: () => void): void {
  context.with(trace.setSpan(rootContext, span), write);
}
