// One JSON line per request: who asked what, where it went, how many tries, what came back, how long it
// took and which policy decided the answer. The line is the runtime logger's format (level, time,
// service, fields, msg). At thousands of requests a second pino's generic serializer is a visible cost,
// so the usual case (JSON lines, no OTLP log export) writes the fixed shape directly (the runtime's
// directLine); pretty output and OTLP export go through pino, inside the request's span so the record
// carries its trace context.
import { context, trace } from '@opentelemetry/api';
import { directLine, type Logger } from '@sre-stack/runtime';
import type { Exchange } from '../pipeline/exchange.ts';

export interface AccessLogEntry {
  trace_id: string;
  span_id: string;
  route: string;
  method: string;
  path: string;
  host?: string;
  client_ip: string;
  status: number;
  duration_ms: number;
  upstream?: string;
  target?: string;
  attempts: number;
  decided_by: string;
  retry_reasons?: readonly string[];
  upstream_service_time_ms?: number;
  user_agent?: string;
  detail?: string;
}

export function accessLogEntry(exchange: Exchange, durationMs: number): AccessLogEntry {
  const spanContext = exchange.span.spanContext();
  const headers = exchange.req.headers;
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    route: exchange.route?.name ?? 'no_route',
    method: exchange.method,
    path: exchange.path,
    host: headers.host,
    client_ip: exchange.clientIp,
    status: exchange.status,
    duration_ms: round(durationMs),
    upstream: exchange.route?.upstream?.name,
    target: exchange.target?.origin,
    attempts: exchange.attempts,
    decided_by: exchange.decidedBy,
    retry_reasons: exchange.retryReasons,
    upstream_service_time_ms: exchange.serviceTimeMs >= 0 ? round(exchange.serviceTimeMs) : undefined,
    user_agent: headers['user-agent'],
    detail: exchange.detail,
  };
}

export interface AccessLog {
  write(exchange: Exchange, durationMs: number): void;
}

export interface AccessLogOptions {
  logger: Logger;
  /** Log records also leave over OTLP (they then need pino and an active span). */
  logsExported: boolean;
}

export function createAccessLog(options: AccessLogOptions): AccessLog {
  const { logger } = options;
  const line = directLine(logger, 'request', options.logsExported);
  if (line) return { write: (exchange, durationMs) => line(jsonFields(exchange, durationMs)) };
  return {
    write(exchange, durationMs) {
      const entry = accessLogEntry(exchange, durationMs);
      if (options.logsExported) {
        context.with(trace.setSpan(exchange.parentContext, exchange.span), () =>
          logger.info(entry, 'request'),
        );
      } else {
        logger.info(entry, 'request');
      }
    },
  };
}

/**
 * accessLogEntry() as `,"key":value` pairs, in the same order, without the intermediate object. Values
 * that cannot hold a quote or a backslash (ids, names the config schema restricts, methods the HTTP
 * parser restricts, origins, numbers) are written as they are; the rest go through jsonString().
 */
function jsonFields(exchange: Exchange, durationMs: number): string {
  const spanContext = exchange.span.spanContext();
  const headers = exchange.req.headers;
  const route = exchange.route;
  let out = `,"trace_id":"${spanContext.traceId}","span_id":"${spanContext.spanId}","route":"${route ? route.name : 'no_route'}","method":"${exchange.method}","path":${jsonString(exchange.path)}`;
  if (headers.host !== undefined) out += `,"host":${jsonString(headers.host)}`;
  out += `,"client_ip":"${exchange.clientIp}","status":${exchange.status},"duration_ms":${msText(durationMs)}`;
  const upstream = route?.upstream;
  if (upstream) out += `,"upstream":"${upstream.name}"`;
  if (exchange.target) out += `,"target":"${exchange.target.origin}"`;
  out += `,"attempts":${exchange.attempts},"decided_by":"${exchange.decidedBy}"`;
  if (exchange.retryReasons) out += `,"retry_reasons":${JSON.stringify(exchange.retryReasons)}`;
  if (exchange.serviceTimeMs >= 0) out += `,"upstream_service_time_ms":${msText(exchange.serviceTimeMs)}`;
  const agent = headers['user-agent'];
  if (agent !== undefined) out += `,"user_agent":${jsonString(agent)}`;
  if (exchange.detail !== undefined) out += `,"detail":${jsonString(exchange.detail)}`;
  return out;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * JSON.stringify(value) for a string. Paths, hosts and user agents are nearly always printable ASCII
 * without a quote or a backslash: those are quoted as they are, since JSON.stringify is a call into the
 * runtime; anything else goes through it.
 */
export function jsonString(value: string): string {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x22 || code === 0x5c || code > 0x7e) return JSON.stringify(value);
  }
  return `"${value}"`;
}

/** The decimals of a millisecond figure, `.001` to `.999`, as JSON writes them (no trailing zeros). */
const MICROSECONDS = Array.from({ length: 1000 }, (_, us) => (us === 0 ? '' : String(us / 1000).slice(1)));

/**
 * String(round(ms)): the same text, from integers. Turning a fractional double into its shortest
 * decimal is several times the work of an integer, twice per line.
 */
export function msText(ms: number): string {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us < 2 ** 31)) return String(us / 1000);
  const whole = Math.floor(us / 1000);
  return `${whole}${MICROSECONDS[us - whole * 1000]}`;
}
