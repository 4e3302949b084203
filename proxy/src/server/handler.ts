// The serving listener's request handler: route, run the route's pipeline, commit the outcome, and
// when the response is over (or the client left) record metrics, end the span and log the request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@sre-stack/runtime';
import type { Clock } from '../clock.ts';
import { upstreamRequestHeaders } from '../http/upstream-headers.ts';
import { ANSWERS } from '../pipeline/answers.ts';
import { Exchange } from '../pipeline/exchange.ts';
import type { Outcome } from '../pipeline/outcome.ts';
import { type CompiledRoute, UNBOUNDED } from '../pipeline/types.ts';
import { type RoutingTable, rewritePath } from '../route/compile.ts';
import { pathOf } from '../route/matcher.ts';
import type { RgateStats } from '../stats/rgate-stats.ts';
import type { AccessLog } from '../telemetry/access-log.ts';
import { RouteMetrics } from '../telemetry/metrics.ts';
import { endSpan } from '../telemetry/tracing.ts';
import { commit, type ResponseOptions } from './respond.ts';
import { isStatsRequest, serveStats } from './stats-endpoint.ts';

export interface ServingState extends ResponseOptions {
  table: RoutingTable;
  accessLog: AccessLog | undefined;
  logger: Logger;
  /** rgate's /stats: where it is served, and what it counts. */
  stats?: { path: string; counts: RgateStats };
  /** With TLS on: the plain-HTTP listener's only route, a redirect to HTTPS. */
  redirect?: CompiledRoute;
  /** The Strict-Transport-Security value for HTTPS responses, when set. */
  hsts?: string;
  /** The clock every request's timers run on. */
  clock: Clock;
}

let noRouteMetrics: RouteMetrics | undefined;

export function createRequestHandler(
  state: ServingState,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const badHost = hostProblem(req);
    if (badHost !== undefined) return refuse(req, res, ANSWERS.badHost(badHost), state);
    let url = req.url ?? '/';
    if (url.charCodeAt(0) !== 47 /* / */) {
      const target = absoluteTarget(url);
      if (target === undefined) return refuse(req, res, ANSWERS.badTarget(url), state);
      url = target.path;
      // RFC 9112 §3.2.2: the target's host wins over the Host header, for routing and upstream alike.
      req.headers.host = target.host;
    }
    const path = pathOf(url);
    const stats = state.stats;
    // Reading the statistics is not traffic: answered before routing, and not counted.
    if (stats !== undefined && isStatsRequest(req, path, stats.path))
      return serveStats(req, res, stats.counts);
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    const route =
      state.redirect !== undefined && !encrypted
        ? state.redirect
        : state.table.match(req.method ?? 'GET', path, req);
    const exchange = new Exchange(req, res, route, path, url, state.clock);
    res.on('close', () => finish(exchange, state));
    if (encrypted && state.hsts !== undefined)
      exchange.addResponseHeader('strict-transport-security', state.hsts);
    if (route === undefined) {
      const allowed = state.table.allowedMethods(path, req);
      commitSafely(
        exchange,
        allowed.length > 0
          ? ANSWERS.methodNotAllowed(exchange.method, path, allowed)
          : ANSWERS.noRoute(exchange.method, path),
        state,
      );
      return;
    }
    route.active++;
    route.metrics.inFlight.inc();
    if (route.upstream) {
      exchange.upstreamPath = rewritePath(url, route.rewrite);
      exchange.upstreamHeaders = upstreamRequestHeaders(exchange, route.rewrite);
    }
    const running = route.run(exchange, UNBOUNDED).then(
      (outcome) => {
        exchange.running = undefined;
        commitSafely(exchange, outcome, state);
      },
      (error: unknown) => {
        exchange.running = undefined;
        state.logger.error({ err: error, route: route.name }, 'request pipeline failed');
        if (!res.headersSent) commitSafely(exchange, ANSWERS.internalError(), state);
        else res.destroy();
      },
    );
    exchange.running = running;
  };
}

/** An absolute-form request target (GET http://host/path): its host, and its path and query; undefined
 * for what cannot be forwarded (asterisk-form `OPTIONS *`, authority-form, garbage). */
function absoluteTarget(url: string): { host: string; path: string } | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return { host: parsed.host, path: parsed.pathname + parsed.search };
  } catch {
    return undefined;
  }
}

/** A request the proxy cannot forward: answered 400 here, no route, no upstream, no policy. */
function refuse(req: IncomingMessage, res: ServerResponse, answer: Outcome, state: ServingState): void {
  const exchange = new Exchange(req, res, undefined, '/', '/', state.clock);
  res.on('close', () => finish(exchange, state));
  commitSafely(exchange, answer, state);
}

/** A Host value: a name, an IPv4 or a bracketed IPv6 address, and an optional port; no userinfo, no path. */
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(:\d{0,5})?$/;

/**
 * Why the Host header cannot be trusted to route by, if it cannot: Node keeps the first of several Host
 * lines and passes any value, where an upstream may read another (RFC 9112 §3.2 requires a 400).
 */
function hostProblem(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (host !== undefined && !HOST.test(host)) return 'the Host header is not a host[:port]';
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  return hosts > 1 ? 'more than one Host header' : undefined;
}

/**
 * commit(), except that a response Node refuses to write (a header value the config schema should have
 * caught) is logged and answered 500: one request fails, not the process.
 */
function commitSafely(exchange: Exchange, outcome: Outcome, state: ServingState): void {
  try {
    commit(exchange, outcome, state);
  } catch (error) {
    state.logger.error({ err: error, route: exchange.route?.name }, 'response could not be written');
    const res = exchange.res;
    if (res.headersSent) res.destroy();
    else {
      exchange.extraHeaders = undefined;
      try {
        commit(exchange, ANSWERS.internalError(), state);
      } catch {
        res.destroy();
      }
    }
  }
}

function finish(exchange: Exchange, state: ServingState): void {
  if (exchange.finished) return;
  exchange.finished = true;
  const res = exchange.res;
  if (!res.writableFinished && !exchange.truncated) {
    // The client left before the whole response went out: stop whatever is still running for it.
    exchange.clientLeft();
    exchange.status = 499;
    exchange.decidedBy = 'client_abort';
  }
  const durationMs = exchange.clock.now() - exchange.startedAt;
  const route = exchange.route;
  noRouteMetrics ??= new RouteMetrics('no_route');
  const metrics = route ? route.metrics : noRouteMetrics;
  if (route) {
    route.active--;
    metrics.inFlight.dec();
  }
  metrics.requests(exchange.method, exchange.status).inc();
  metrics.duration.observe(durationMs / 1000, exchange.traceId);
  metrics.responses.record(
    exchange.status,
    exchange.decidedBy,
    durationMs,
    exchange.upstreamMs,
    exchange.traceId,
  );
  state.stats?.counts.record(exchange.status, durationMs);
  const span = exchange.span;
  if (span.isRecording()) {
    span.setAttribute('proxy.decided_by', exchange.decidedBy);
    span.setAttribute('proxy.attempts', exchange.attempts);
  }
  endSpan(span, exchange.status, exchange.status === 499 ? 'client_abort' : undefined, true);
  const accessLog = state.accessLog;
  if (accessLog === undefined) return;
  const running = exchange.running;
  if (running === undefined) accessLog.write(exchange, durationMs);
  else void running.then(() => accessLog.write(exchange, durationMs));
}
