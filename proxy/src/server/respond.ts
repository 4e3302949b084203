// Commits an outcome to the client: the upstream's response streamed through, or a local answer with a
// body that says what happened. This is the only place a response head is written.
import { STATUS_CODES } from '../http/node-http.ts';
import { appendProxyHeaders, downstreamResponseHead } from '../http/upstream-headers.ts';
import type { Exchange } from '../pipeline/exchange.ts';
import { type DecidedBy, discardOutcome, type FailureOutcome, type Outcome } from '../pipeline/outcome.ts';

export interface ResponseOptions {
  /** Whether the server is draining: responses then close their connections. */
  draining(): boolean;
}

export function commit(exchange: Exchange, outcome: Outcome, options: ResponseOptions): void {
  const report = outcome.retry;
  if (report !== undefined) {
    exchange.retryReasons = report.reasons;
    exchange.detail ??= report.detail;
  }
  if (exchange.clientGone || exchange.res.destroyed) {
    discardOutcome(outcome);
    return;
  }
  switch (outcome.kind) {
    case 'response': {
      exchange.status = outcome.status;
      exchange.decidedBy = exchange.attempts > 1 ? 'retry' : 'upstream';
      exchange.serviceTimeMs = outcome.response.serviceTimeMs;
      outcome.response.commit(
        outcome.status,
        downstreamResponseHead(exchange, outcome.headers, options.draining()),
      );
      return;
    }
    case 'local':
      respondLocally(
        exchange,
        outcome.status,
        outcome.body,
        outcome.decidedBy,
        options,
        outcome.headers,
        outcome.contentType,
      );
      return;
    case 'failure': {
      const { status, decidedBy, body } = describeFailure(exchange, outcome);
      exchange.detail ??= outcome.message;
      respondLocally(exchange, status, body, decidedBy, options);
      return;
    }
  }
}

export function respondLocally(
  exchange: Exchange,
  status: number,
  body: string,
  decidedBy: DecidedBy,
  options: ResponseOptions,
  headers?: string[],
  contentType = 'text/plain; charset=utf-8',
): void {
  exchange.status = status;
  exchange.decidedBy = decidedBy;
  const head = ['content-type', contentType, 'content-length', String(Buffer.byteLength(body))];
  if (headers) for (const item of headers) head.push(item);
  appendProxyHeaders(exchange, head, options.draining());
  exchange.res.writeHead(status, head);
  exchange.res.end(body);
}

/** 502 (or 503) for transport failures, 504 for timeouts; the body names the route, the target and the tries. */
function describeFailure(
  exchange: Exchange,
  outcome: FailureOutcome,
): { status: number; decidedBy: DecidedBy; body: string } {
  const route = exchange.route?.name ?? 'no_route';
  const tries = `${exchange.attempts} ${exchange.attempts === 1 ? 'try' : 'tries'}`;
  const target = exchange.target?.origin ?? 'the upstream';
  if (outcome.failure === 'invalid_request') {
    // Refused before anything was sent: the request itself cannot be forwarded; no upstream is involved.
    const body = `400 Bad Request: this request cannot be forwarded (${outcome.message}; route ${route})\n`;
    return { status: 400, decidedBy: 'bad_request', body };
  }
  const timedOut = outcome.failure === 'deadline' || outcome.failure === 'per_try_timeout';
  // Unreachable: 502 Bad Gateway, or 503 where the route says so (rgate's "backend is down"). An
  // invalid answer is a 502 whatever the route says: the upstream was reached.
  const status = timedOut
    ? 504
    : outcome.failure === 'invalid_response'
      ? 502
      : (exchange.route?.upstream?.unreachableStatus ?? 502);
  const decidedBy: DecidedBy = timedOut ? 'timeout' : exchange.attempts > 1 ? 'retry' : 'upstream';
  const what = timedOut
    ? `${target} did not answer in time`
    : outcome.failure === 'invalid_response'
      ? `${target} sent an invalid response`
      : `could not get a response from ${target}`;
  const body = `${status} ${STATUS_CODES[status]}: ${what} (${outcome.message}; route ${route}, ${tries})\n`;
  return { status, decidedBy, body };
}
