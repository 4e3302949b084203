// Every request is observed once, when its response closes: its SERVER span ends, one access-log line and
// one histogram observation, both naming that span (the line has trace_id, the bucket an exemplar).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Span } from '@opentelemetry/api';
import {
  endServerSpan,
  exemplarOf,
  type Logger,
  methodLabel,
  observeSeconds,
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
      observeSeconds(
        requestDuration,
        { method: methodLabel(method), route, code: status },
        seconds,
        exemplarOf(span) ?? {},
      );
    // Written outside the span's context (the response has closed), so its ids are named here.
    logger.info(
      {
        ...traceFields(span),
        method,
        route,
        path: path.length > 200 ? `${path.slice(0, 200)}...` : path,
        status,
        duration_ms: Math.round(seconds * 10_000) / 10,
        ...log,
        ...(finished ? {} : { aborted: true }),
      },
      'request',
    );
  });
}
