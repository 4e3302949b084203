// The header list sent upstream, and the one sent back downstream: hop-by-hop headers dropped,
// X-Forwarded-* appended, propagation headers left to the tracer, rewrites applied.
import type { Exchange } from '../pipeline/exchange.ts';
import type { UpstreamHeaders } from '../pipeline/outcome.ts';
import type { Rewrite } from '../pipeline/types.ts';
import { isPropagationHeader } from '../telemetry/tracing.ts';
import { appendForwarded } from './forwarded.ts';
import { connectionTokens, isAlwaysHopByHop } from './hop-by-hop.ts';

export const ATTEMPTS_HEADER = 'x-proxy-attempts';
export const SERVICE_TIME_HEADER = 'x-upstream-service-time';

/**
 * The request headers for the upstream, as a flat name, value list (undici's cheapest form), without the
 * trace headers: each attempt injects its own.
 */
export function upstreamRequestHeaders(exchange: Exchange, rewrite: Rewrite | undefined): string[] {
  const incoming = exchange.req.headers;
  const tokens = connectionTokens(incoming.connection);
  const out: string[] = [];
  let forwardedFor: string | string[] | undefined;
  let forwardedProto: string | string[] | undefined;
  let forwardedHost: string | string[] | undefined;
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined) continue;
    switch (name) {
      case 'host':
        continue;
      case 'x-forwarded-for':
        forwardedFor = value;
        continue;
      case 'x-forwarded-proto':
        forwardedProto = value;
        continue;
      case 'x-forwarded-host':
        forwardedHost = value;
        continue;
      // Node already answered 100 Continue; undici refuses to send the header on.
      case 'expect':
        continue;
    }
    if (isAlwaysHopByHop(name) || tokens?.has(name) || isPropagationHeader(name)) continue;
    if (rewrite?.removeRequestHeaders.has(name)) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const item of value) out.push(name, item);
  }
  const host = incoming.host;
  const upstreamHost = rewrite?.host ?? host;
  if (upstreamHost !== undefined) out.push('host', upstreamHost);
  // A header the route does not append (rewrite.forwardedHeaders) still goes on as the client sent it.
  if (rewrite === undefined || rewrite.forwardedFor) {
    out.push('x-forwarded-for', appendForwarded(forwardedFor, exchange.clientIp));
  } else pushAsIs(out, 'x-forwarded-for', forwardedFor);
  if (rewrite === undefined || rewrite.forwardedProto) {
    out.push('x-forwarded-proto', appendForwarded(forwardedProto, exchange.scheme));
  } else pushAsIs(out, 'x-forwarded-proto', forwardedProto);
  if (host !== undefined && (rewrite === undefined || rewrite.forwardedHost)) {
    out.push('x-forwarded-host', appendForwarded(forwardedHost, host));
  } else pushAsIs(out, 'x-forwarded-host', forwardedHost);
  if (rewrite) for (const item of rewrite.setRequestHeaders) out.push(item);
  return out;
}

function pushAsIs(out: string[], name: string, value: string | string[] | undefined): void {
  if (value === undefined) return;
  if (typeof value === 'string') out.push(name, value);
  else for (const item of value) out.push(name, item);
}

/** The response head for the client: the upstream's headers minus hop-by-hop, plus the proxy's own. */
export function downstreamResponseHead(
  exchange: Exchange,
  headers: UpstreamHeaders,
  draining: boolean,
): string[] {
  const rewrite = exchange.route?.rewrite;
  const tokens = connectionTokens(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (isAlwaysHopByHop(name) || tokens?.has(name)) continue;
    if (rewrite?.removeResponseHeaders.has(name)) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const item of value) out.push(name, item);
  }
  appendProxyHeaders(exchange, out, draining);
  return out;
}

/** Attempt count, upstream service time, policy headers, response rewrites; every response gets them. */
export function appendProxyHeaders(exchange: Exchange, out: string[], draining: boolean): void {
  if (exchange.attempts > 0) out.push(ATTEMPTS_HEADER, String(exchange.attempts));
  if (exchange.serviceTimeMs >= 0) out.push(SERVICE_TIME_HEADER, String(Math.round(exchange.serviceTimeMs)));
  const extra = exchange.extraHeaders;
  if (extra) for (const item of extra) out.push(item);
  const rewrite = exchange.route?.rewrite;
  if (rewrite) for (const item of rewrite.setResponseHeaders) out.push(item);
  // While draining, every response closes its connection so that keep-alive clients move on.
  if (draining) out.push('connection', 'close');
}
