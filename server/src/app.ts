// The request handler: route, check method and token, run the endpoint, and observe every request
// once (route on the span, one access-log line, one histogram observation).
import type { RequestListener } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { type Logger, observeSeconds } from '@sre-stack/runtime';
import type { Chaos } from './chaos.ts';
import { createEndpoints, type Endpoint, type RequestContext } from './endpoints.ts';
import { bearerChecker } from './http/auth.ts';
import { DEFAULT_BODY_LIMIT_BYTES } from './http/body.ts';
import { sendText } from './http/respond.ts';
import { requestDuration } from './metrics.ts';
import { statusText } from './status-codes.ts';

export interface AppOptions {
  chaos: Chaos;
  logger: Logger;
  /** When set, POST /status/{code}, POST /flaky and PUT /flaky need `Authorization: Bearer <token>`. */
  adminToken?: string;
  bodyLimitBytes?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborting it cuts injected delays short, so a draining server answers instead of being cut off. */
  stopWaiting?: AbortSignal;
  /** Milliseconds, for request durations; performance.now by default. */
  now?: () => number;
}

interface Route {
  template: string;
  pattern: RegExp;
  methods: Record<string, Endpoint>;
  /** Methods that change state, and so need the admin token. */
  mutating: string[];
}

export const UNMATCHED_ROUTE = 'unmatched';

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'CONNECT',
  'TRACE',
]);

/** Method as a metric label: arbitrary methods would make unbounded series (OTel semconv's _OTHER). */
export function methodLabel(method: string | undefined): string {
  return method && KNOWN_METHODS.has(method) ? method : '_OTHER';
}

async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // Aborted: the client left or the server is stopping; either way, stop waiting.
  }
}

export function createRequestHandler(options: AppOptions): RequestListener {
  const { logger } = options;
  const now = options.now ?? (() => performance.now());
  const authorize = bearerChecker(options.adminToken);
  const endpoints = createEndpoints({
    chaos: options.chaos,
    sleep: options.sleep ?? sleepUnlessAborted,
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
  });
  const routes: Route[] = [
    {
      template: '/status',
      pattern: /^\/status$/,
      methods: { GET: endpoints.getStatus, HEAD: endpoints.getStatus },
      mutating: [],
    },
    {
      template: '/status/{code}',
      pattern: /^\/status\/([^/]*)$/,
      methods: { POST: endpoints.postStatus },
      mutating: ['POST'],
    },
    {
      template: '/flaky',
      pattern: /^\/flaky$/,
      methods: {
        GET: endpoints.getFlaky,
        HEAD: endpoints.getFlaky,
        POST: endpoints.postFlaky,
        PUT: endpoints.putFlaky,
      },
      mutating: ['POST', 'PUT'],
    },
  ];
  const routeList = routes
    .map((route) => `${Object.keys(route.methods).join('|')} ${route.template}`)
    .join(', ');

  return (request, response) => {
    const start = now();
    const method = request.method ?? 'GET';
    const path = pathOf(request.url);
    const route = routes.find((candidate) => candidate.pattern.test(path));
    const routeLabel = route?.template ?? UNMATCHED_ROUTE;
    // The HTTP instrumentation reads the route from here when the response ends: http.route on the
    // span, and a span name such as "POST /status/{code}".
    const rpc = getRPCMetadata(context.active());
    if (rpc?.type === RPCType.HTTP && route) rpc.route = route.template;

    const abort = new AbortController();
    const signals = options.stopWaiting ? [abort.signal, options.stopWaiting] : [abort.signal];
    const requestContext: RequestContext = {
      request,
      response,
      params: [],
      log: {},
      signal: AbortSignal.any(signals),
    };
    response.once('close', () => {
      abort.abort();
      const seconds = (now() - start) / 1000;
      const finished = response.writableFinished;
      const status = response.statusCode;
      if (finished) {
        observeSeconds(
          requestDuration,
          { method: methodLabel(method), route: routeLabel, code: status },
          seconds,
        );
      }
      logger.info(
        {
          method,
          route: routeLabel,
          path: path.length > 200 ? `${path.slice(0, 200)}...` : path,
          status,
          duration_ms: Math.round(seconds * 10_000) / 10,
          ...requestContext.log,
          ...(finished ? {} : { aborted: true }),
        },
        'request',
      );
    });

    if (!route) {
      return sendText(
        response,
        404,
        `${statusText(404)}: no route for ${method} ${path}; routes: ${routeList}`,
      );
    }
    const allowed = [...Object.keys(route.methods), 'OPTIONS'].join(', ');
    if (method === 'OPTIONS') {
      response.writeHead(204, { allow: allowed });
      return response.end();
    }
    const endpoint = route.methods[method];
    if (!endpoint) {
      return sendText(
        response,
        405,
        `${statusText(405)}: ${method} is not allowed on ${route.template}; allowed: ${allowed}`,
        { allow: allowed },
      );
    }
    if (route.mutating.includes(method)) {
      const auth = authorize(request);
      if (auth !== 'ok') {
        const challenge =
          auth === 'missing'
            ? 'Bearer realm="flaky-server"'
            : 'Bearer realm="flaky-server", error="invalid_token"';
        const reason =
          auth === 'missing'
            ? 'this endpoint needs "Authorization: Bearer <token>" (SERVER_ADMIN_TOKEN is set)'
            : 'the bearer token is wrong';
        return sendText(response, 401, `${statusText(401)}: ${reason}`, { 'www-authenticate': challenge });
      }
    }
    const match = route.pattern.exec(path);
    try {
      requestContext.params = (match?.slice(1) ?? []).map((segment) => decodeURIComponent(segment));
    } catch {
      return sendText(response, 400, `${statusText(400)}: the path ${path} is not valid percent-encoding`);
    }
    void run(endpoint, requestContext, logger);
  };
}

async function run(endpoint: Endpoint, requestContext: RequestContext, logger: Logger): Promise<void> {
  const { response } = requestContext;
  try {
    await endpoint(requestContext);
  } catch (error) {
    logger.error({ err: error }, 'request failed');
    if (!response.headersSent) sendText(response, 500, statusText(500));
    else response.destroy();
  }
}

/** The path without query; absolute-form targets (`GET http://host/status`) are reduced to their path. */
function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  if (target.startsWith('/')) return target.split('?')[0] ?? '/';
  try {
    return new URL(target).pathname;
  } catch {
    return target;
  }
}
