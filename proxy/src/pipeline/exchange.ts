// One request on its way through the proxy: what the policies read and annotate, and what the access
// log, the metrics and the spans report once it is done.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sampledTraceId } from '@sre-stack/runtime';
import { type Clock, systemClock } from '../clock.ts';
import { clientAddress } from '../http/forwarded.ts';
import { type Context, extractContext, type Span, startServerSpan } from '../telemetry/tracing.ts';
import type { DecidedBy } from './outcome.ts';
import type { CompiledRoute, Target } from './types.ts';

export class Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: CompiledRoute | undefined;
  readonly method: string;
  /** The request path without its query, as routed. */
  readonly path: string;
  /** The request target as received (path and query). */
  readonly url: string;
  readonly startedAt: number;
  /** The clock every timer of this request runs on (attempt timeouts, backoff waits, the deadline). */
  readonly clock: Clock;
  readonly clientIp: string;
  /** http, or https on the TLS listener. */
  readonly scheme: 'http' | 'https';
  /** The path and query sent upstream (after rewrites). */
  upstreamPath: string;
  /** The request headers for every try, without trace headers (see http/upstream-headers.ts). */
  upstreamHeaders: string[] = [];

  // The final report (access log, metrics, span). Written by the final step (tries sent, target) and by
  // the commit (status, decided_by, retry reasons, detail); policies hand their part up on the outcome.
  /** Tries sent upstream so far; counted by the final step (upstream/forward.ts). */
  attempts = 0;
  /** The target of the latest attempt. */
  target: Target | undefined;
  /** Milliseconds from the committed attempt's start to its response head. */
  serviceTimeMs = -1;
  /** Milliseconds the upstream attempts took, all of them (what the proxy did not add). */
  upstreamMs = 0;
  /** Why each retry happened, in order: the retry policy's report, copied at the commit. */
  retryReasons: readonly string[] | undefined;
  /** A policy's explanation of an unusual decision, for the access log. */
  detail: string | undefined;
  /** Response headers policies add (rate-limit state), as a flat name, value list. */
  extraHeaders: string[] | undefined;

  /** What is sent upstream: nothing, the request stream, or a buffered copy that retries can replay. */
  body: Buffer | IncomingMessage | null;

  status = 0;
  decidedBy: DecidedBy = 'upstream';
  clientGone = false;
  finished = false;
  /** The upstream failed mid-body after the head went out: the client got a cut response. */
  truncated = false;
  /**
   * The pipeline, until it hands back its outcome. A client that leaves first closes the response
   * before that: its access log line then waits for the outcome, which carries what the policies
   * report (e.g. the retries made so far). A field, not a WeakMap: a weak table entry per request
   * costs every scavenge.
   */
  running: Promise<void> | undefined;

  readonly parentContext: Context;
  readonly span: Span;
  readonly traceId: string | undefined;

  /** Called once if the client goes away first: aborts the pending attempt or backoff. */
  private onClientGone: (() => void) | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    route: CompiledRoute | undefined,
    path: string,
    url: string,
    clock: Clock = systemClock,
  ) {
    this.req = req;
    this.res = res;
    this.route = route;
    this.method = req.method ?? 'GET';
    this.path = path;
    this.url = url;
    this.upstreamPath = url;
    this.clock = clock;
    this.startedAt = clock.now();
    this.clientIp = clientAddress(req.socket.remoteAddress);
    this.scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const headers = req.headers;
    const length = headers['content-length'];
    this.body =
      headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0') ? req : null;
    this.parentContext = extractContext(headers);
    const template = route ? route.template : 'no_route';
    this.span = startServerSpan(
      this.parentContext,
      () => `${this.method} ${template}`,
      () => ({
        'http.request.method': this.method,
        'url.path': path,
        'url.scheme': this.scheme,
        'http.route': template,
        'proxy.route': route ? route.name : 'no_route',
        'client.address': this.clientIp,
        'server.address': headers.host ?? '',
        'network.protocol.version': req.httpVersion,
      }),
    );
    this.traceId = sampledTraceId(this.span);
  }

  addResponseHeader(name: string, value: string): void {
    if (this.extraHeaders === undefined) this.extraHeaders = [name, value];
    else this.extraHeaders.push(name, value);
  }

  /** Registers what to abort if the client leaves; replaces the previous registration. */
  whenClientGone(callback: (() => void) | undefined): void {
    this.onClientGone = callback;
  }

  clientLeft(): void {
    if (this.clientGone) return;
    this.clientGone = true;
    const callback = this.onClientGone;
    this.onClientGone = undefined;
    callback?.();
  }

  /** Waits `ms`; resolves false early if the client leaves meanwhile. */
  sleep(ms: number): Promise<boolean> {
    if (this.clientGone) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.onClientGone = undefined;
        resolve(true);
      }, ms);
      this.onClientGone = () => {
        this.clock.clearTimeout(timer);
        resolve(false);
      };
    });
  }

  /**
   * Reads a request body of known length into memory so that retries can send it again. Resolves false,
   * reading nothing, when the length is unknown (chunked) or above the limit: such a request is tried once.
   */
  bufferBody(limit: number): Promise<boolean> {
    const body = this.body;
    if (body === null || Buffer.isBuffer(body)) return Promise.resolve(true);
    const length = Number(this.req.headers['content-length']);
    if (this.req.headers['transfer-encoding'] !== undefined || !Number.isFinite(length) || length > limit) {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (ok: boolean) => {
        body.off('data', onData);
        body.off('end', onEnd);
        body.off('error', onAborted);
        body.off('close', onClose);
        resolve(ok);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        chunks.push(chunk);
      };
      const onEnd = () => {
        this.body = Buffer.concat(chunks, size);
        done(true);
      };
      // The client gave up mid-upload: nothing left to send anything to.
      const onAborted = () => {
        this.clientLeft();
        done(false);
      };
      const onClose = () => {
        if (!body.complete) onAborted();
      };
      body.on('data', onData);
      body.once('end', onEnd);
      body.once('error', onAborted);
      body.once('close', onClose);
    });
  }
}
