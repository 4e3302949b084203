// One try against one target: an undici dispatch handler. The promise from start() settles when the
// response head arrives (or the try fails), before any byte reaches the client; the body then waits
// (a bounded amount is kept) until the pipeline commits it (stream to the client) or discards it (a
// retry replaces it).
import type { Dispatcher } from 'undici';
import type { Exchange } from '../pipeline/exchange.ts';
import {
  type FailureKind,
  failure,
  type Outcome,
  type PendingResponse,
  type UpstreamHeaders,
} from '../pipeline/outcome.ts';
import type { AttemptOptions, Target } from '../pipeline/types.ts';
import { endSpan, injectContext, type Span, startClientSpan } from '../telemetry/tracing.ts';
import { classifyError, errorMessage } from './errors.ts';

type DispatchController = Dispatcher.DispatchController;

const PENDING = 0; // dispatched, no head yet
const HEAD = 1; // head received, waiting for commit or discard
const COMMITTED = 2; // streaming to the client
const DISCARDED = 3; // dropped; the body is drained or aborted
const SETTLED = 4; // failed or timed out before the head

/** Bodies up to this size are read and dropped on discard, to keep the connection; larger ones abort it. */
const DRAIN_LIMIT = 64 * 1024;
/** Body bytes kept while a head waits for its commit before the parser is paused. */
const EARLY_LIMIT = 256 * 1024;

class AbortedByProxy extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

export class Attempt implements Dispatcher.DispatchHandler, PendingResponse {
  readonly exchange: Exchange;
  readonly target: Target;
  readonly number: number;
  /** The bounds the policies above handed down (deadline, per-try timeout). */
  readonly options: AttemptOptions;
  readonly startedAt: number;
  status = 0;
  headers: UpstreamHeaders = {};
  serviceTimeMs = -1;
  /** Called with the outcome just before the pipeline gets it (the balancer's gates). */
  onOutcome: ((outcome: Outcome) => void) | undefined;

  private state = PENDING;
  private controller: DispatchController | undefined;
  private timer: unknown;
  private span: Span | undefined;
  private resolve!: (outcome: Outcome) => void;
  private statusMessage: string | undefined;
  /** Chunks that arrived before the commit (if the parser was not paused in time). */
  private early: Buffer[] | undefined;
  private earlyBytes = 0;
  private ended = false;
  private error: unknown;
  private finished = false;
  private result: number | string = 0;

  constructor(exchange: Exchange, target: Target, number: number, options: AttemptOptions) {
    this.exchange = exchange;
    this.target = target;
    this.number = number;
    this.options = options;
    this.startedAt = exchange.clock.now();
  }

  start(headers: string[]): Promise<Outcome> {
    const exchange = this.exchange;
    const target = this.target;
    const promise = new Promise<Outcome>((resolve) => {
      this.resolve = resolve;
    });
    const budget = Math.min(this.options.perTryTimeoutMs, this.options.deadlineAt - this.startedAt);
    if (budget <= 0) {
      this.settle('deadline', 'the route deadline passed before this try could start');
      return promise;
    }
    target.active++;
    if (budget !== Number.POSITIVE_INFINITY) this.timer = exchange.clock.setTimeout(this.onTimeout, budget);
    const span = startClientSpan(exchange.parentContext, exchange.span, exchange.method, () => {
      const attributes: Record<string, string | number> = {
        'http.request.method': exchange.method,
        'server.address': target.hostname,
        'server.port': target.port,
        'url.full': target.origin + exchange.upstreamPath,
        'proxy.target': target.origin,
      };
      if (this.number > 1) attributes['http.request.resend_count'] = this.number - 1;
      return attributes;
    });
    this.span = span;
    injectContext(exchange.parentContext, span, headers);
    exchange.whenClientGone(this.onClientGone);
    try {
      target.pool.dispatch(
        {
          path: exchange.upstreamPath,
          method: exchange.method,
          headers,
          body: exchange.body,
          bodyTimeout: exchange.route?.upstream?.idleTimeoutMs,
          headersTimeout: 0,
        },
        this,
      );
    } catch (error) {
      this.onResponseError(undefined, error as Error);
    }
    return promise;
  }

  // --- undici handler ---

  onRequestStart(controller: DispatchController): void {
    this.controller = controller;
    if (this.state === SETTLED) controller.abort(new AbortedByProxy('error', 'try abandoned'));
  }

  onResponseStart(
    _controller: DispatchController,
    statusCode: number,
    headers: UpstreamHeaders,
    statusMessage?: string,
  ): void {
    if (this.state !== PENDING) return;
    if (statusCode < 100 || statusCode > 599) {
      // Not an HTTP status (a `099` status line): the upstream is broken; the client gets a clean 502.
      this.settle('invalid_response', `the upstream answered an invalid status code ${statusCode}`);
      return;
    }
    if (statusCode < 200) return;
    this.exchange.clock.clearTimeout(this.timer);
    this.state = HEAD;
    this.status = statusCode;
    this.headers = headers;
    this.statusMessage = statusMessage;
    this.serviceTimeMs = this.exchange.clock.now() - this.startedAt;
    const outcome: Outcome = { kind: 'response', status: statusCode, headers, response: this };
    this.onOutcome?.(outcome);
    // Not paused: the commit comes a microtask later, and until then the parser only goes through the
    // data already read (kept in `early`). Pausing and resuming the parser for every response cost more.
    this.resolve(outcome);
  }

  onResponseData(controller: DispatchController, chunk: Buffer): void {
    const state = this.state;
    if (state === COMMITTED) {
      if (!this.exchange.res.write(chunk)) {
        controller.pause();
        this.exchange.res.once('drain', this.onDrain);
      }
    } else if (state === HEAD) {
      if (this.early === undefined) this.early = [chunk];
      else this.early.push(chunk);
      this.earlyBytes += chunk.length;
      // Only if the commit were late: never hold more than this much.
      if (this.earlyBytes > EARLY_LIMIT) controller.pause();
    }
  }

  onResponseEnd(): void {
    this.ended = true;
    if (this.state === COMMITTED) {
      this.exchange.res.end();
      this.finish(this.status);
    } else if (this.state === DISCARDED) {
      this.finish(this.status);
    }
  }

  onResponseError(_controller: DispatchController | undefined, error: Error): void {
    const state = this.state;
    if (state === PENDING) {
      const kind = error instanceof AbortedByProxy ? error.kind : classifyError(error);
      this.settle(kind, errorMessage(error));
    } else if (state === COMMITTED) {
      // Part of the response went out already: all that is left is to cut the client's response too.
      const kind = error instanceof AbortedByProxy ? error.kind : classifyError(error);
      if (kind !== 'client_abort') this.cut(errorMessage(error));
      else this.exchange.res.destroy();
      this.finish(kind);
    } else if (state === HEAD) {
      this.error = error;
    } else if (state === DISCARDED) {
      this.finish(this.status);
    }
  }

  // --- the pipeline's side ---

  commit(status: number, head: string[]): void {
    const res = this.exchange.res;
    this.state = COMMITTED;
    this.exchange.whenClientGone(this.onClientGone);
    if (this.statusMessage) res.writeHead(status, this.statusMessage, head);
    else res.writeHead(status, head);
    const early = this.early;
    if (early) {
      this.early = undefined;
      // The usual small response: head and body in one write.
      if (this.ended && early.length === 1 && this.error === undefined) {
        res.end(early[0]);
        this.finish(status);
        return;
      }
      for (const chunk of early) res.write(chunk);
    }
    if (this.error !== undefined) {
      this.cut(errorMessage(this.error));
      this.finish(classifyError(this.error));
    } else if (this.ended) {
      res.end();
      this.finish(status);
    } else if (this.controller?.paused) {
      this.controller.resume();
    }
  }

  discard(): void {
    if (this.state !== HEAD) return;
    this.state = DISCARDED;
    this.early = undefined;
    if (this.ended || this.error !== undefined) {
      this.finish(this.status);
      return;
    }
    const length = Number(this.headers['content-length']);
    if (Number.isFinite(length) && length <= DRAIN_LIMIT) {
      if (this.controller?.paused) this.controller.resume();
    } else this.controller?.abort(new AbortedByProxy('error', 'response discarded for a retry'));
  }

  // --- internals ---

  private cut(reason: string): void {
    this.exchange.truncated = true;
    this.exchange.detail = `the upstream response broke off after the head was sent: ${reason}`;
    this.exchange.res.destroy();
  }

  private readonly onDrain = (): void => {
    this.controller?.resume();
  };

  private readonly onTimeout = (): void => {
    if (this.state !== PENDING) return;
    const options = this.options;
    const deadline = this.exchange.clock.now() >= options.deadlineAt - 1;
    const message = deadline
      ? `no response within the route's ${options.deadlineMs} ms deadline`
      : `no response within the per-try timeout of ${options.perTryTimeoutMs} ms`;
    this.settle(deadline ? 'deadline' : 'per_try_timeout', message);
  };

  private readonly onClientGone = (): void => {
    if (this.state === PENDING) this.settle('client_abort', 'the client closed the connection');
    else this.controller?.abort(new AbortedByProxy('client_abort', 'the client closed the connection'));
  };

  /** Ends a try that produced no response: resolves the failure and aborts what is still in flight. */
  private settle(kind: FailureKind, message: string): void {
    this.exchange.clock.clearTimeout(this.timer);
    this.state = SETTLED;
    this.controller?.abort(new AbortedByProxy(kind, message));
    this.finish(kind);
    const outcome = failure(kind, message);
    this.onOutcome?.(outcome);
    this.resolve(outcome);
  }

  private finish(result: number | string): void {
    if (this.finished) return;
    this.finished = true;
    this.result = result;
    if (this.span === undefined) return;
    const target = this.target;
    target.active--;
    const ms = this.exchange.clock.now() - this.startedAt;
    // What the upstream took, so that the time the proxy added can be told apart (added latency).
    this.exchange.upstreamMs += ms;
    const seconds = ms / 1000;
    target.metrics.duration.observe(seconds, this.exchange.traceId);
    target.metrics.attempt(result).inc();
    const status = typeof result === 'number' ? result : undefined;
    endSpan(this.span, status, typeof result === 'string' ? result : undefined, false);
  }

  /** The final result: a status code or a failure kind. */
  get outcome(): number | string {
    return this.result;
  }
}
