// What a pipeline step hands back up the chain. Nothing is written to the client until the outermost
// layer commits an outcome, which is what lets the retry policy throw an upstream answer away.

/** The policy or condition that decided a request's answer, as the access log reports it. */
export type DecidedBy =
  | 'upstream'
  | 'retry'
  | 'timeout'
  | 'circuit_breaker'
  | 'rate_limit'
  | 'fault'
  | 'static'
  | 'no_route'
  | 'no_upstream'
  | 'method_not_allowed'
  | 'redirect'
  | 'client_abort'
  | 'bad_request'
  | 'error';

/** Why an attempt produced no response. */
export type FailureKind =
  | 'connect_failure'
  | 'reset'
  | 'per_try_timeout'
  | 'deadline'
  | 'client_abort'
  /** The upstream answered something that is not HTTP (e.g. status 099): the upstream's fault, a 502. */
  | 'invalid_response'
  /** The request cannot be forwarded as received (undici refused it before connecting): a 400, no verdict. */
  | 'invalid_request'
  | 'error';

export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/** An upstream response whose head has arrived; its body waits until it is committed or discarded. */
export interface PendingResponse {
  readonly status: number;
  readonly headers: UpstreamHeaders;
  /** Milliseconds from the attempt's start to the response head. */
  readonly serviceTimeMs: number;
  /** Writes the head and streams the body to the client. */
  commit(status: number, head: string[]): void;
  /** Drops the response (a retry will replace it). */
  discard(): void;
}

/**
 * What a step that retried tells the access log, carried up on the outcome it returns (the step keeps
 * its own count and reasons; only the commit copies them onto the exchange's final report).
 */
export interface RetryReport {
  /** Why each retry happened, in order (status codes or failure kinds). */
  readonly reasons?: readonly string[];
  /** Why the step stopped retrying, when that is worth a line. */
  readonly detail?: string;
}

interface Reported {
  /** Set by the retry policy on the outcome it hands up. */
  readonly retry?: RetryReport;
}

export interface ResponseOutcome extends Reported {
  kind: 'response';
  status: number;
  headers: UpstreamHeaders;
  response: PendingResponse;
}

export interface LocalOutcome extends Reported {
  kind: 'local';
  status: number;
  body: string;
  contentType?: string;
  /** Extra headers as a flat list: name, value, name, value. */
  headers?: string[];
  decidedBy: DecidedBy;
}

export interface FailureOutcome extends Reported {
  kind: 'failure';
  failure: FailureKind;
  /** Said in the 502/504 body and the access log. */
  message: string;
}

export type Outcome = ResponseOutcome | LocalOutcome | FailureOutcome;

export function local(status: number, body: string, decidedBy: DecidedBy, headers?: string[]): LocalOutcome {
  return { kind: 'local', status, body, decidedBy, headers };
}

export function failure(kind: FailureKind, message: string): FailureOutcome {
  return { kind: 'failure', failure: kind, message };
}

/** Throws an outcome away: a pending upstream body is drained or aborted. */
export function discardOutcome(outcome: Outcome): void {
  if (outcome.kind === 'response') outcome.response.discard();
}

/** Whether an outcome counts against an upstream: a 5xx answer or a transport failure. */
export function isUpstreamFailure(outcome: Outcome): boolean | null {
  if (outcome.kind === 'response') return outcome.status >= 500;
  if (outcome.kind === 'failure')
    return outcome.failure === 'client_abort' || outcome.failure === 'invalid_request' ? null : true;
  return null;
}
