// The request handler: route, check method and token, run the endpoint; observe.ts records each request.
import type { RequestListener, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { context } from '@opentelemetry/api';
import { directLine, type Logger, startServerSpan, traceFields } from '@sre-stack/runtime';
import type { Chaos } from './chaos.ts';
import { createEndpoints, type Endpoint, type RequestContext } from './endpoints.ts';
import { bearerChecker } from './http/auth.ts';
import { DEFAULT_BODY_LIMIT_BYTES } from './http/body.ts';
import { sendText } from './http/respond.ts';
import { inSpan, observeRequest, UNMATCHED_ROUTE } from './observe.ts';
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
  /** Log records also leave over OTLP: access-log lines then go through pino, which sends them. */
  logsExported?: boolean;
}

interface Route {
  template: string;
  pattern: RegExp;
  methods: Record<string, Endpoint>;
  /** Methods that change state, and so need the admin token. */
  mutating: string[];
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
  const accessLine = directLine(logger, 'request', options.logsExported === true);
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
    const method = request.method ?? 'GET';
    const path = pathOf(request.url);
    const route = routes.find((candidate) => candidate.pattern.test(path));
    const traced = startServerSpan(request, route?.template, path);

    // Made only for a request that waits (an injected delay): most never need one, and aborting one
    // costs a DOMException with a stack trace.
    let clientGone: AbortController | undefined;
    const requestContext: RequestContext = {
      request,
      response,
      params: [],
      log: {},
      span: traced.span,
      get signal() {
        clientGone ??= new AbortController();
        return options.stopWaiting
          ? AbortSignal.any([clientGone.signal, options.stopWaiting])
          : clientGone.signal;
      },
    };
    observeRequest({
      request,
      response,
      route: route?.template ?? UNMATCHED_ROUTE,
      path,
      log: requestContext.log,
      logger,
      now,
      span: traced.span,
      accessLine,
      onClose: () => clientGone?.abort(),
    });
    // A request that changes state runs inside its span's context: the chaos change it logs names its
    // trace. Entering a context copies the async context per request, so the rest name the span
    // explicitly where they need it (the injected delay's exemplar, the error line).
    if (route?.mutating.includes(method))
      context.with(traced.context, dispatch, undefined, method, path, route, requestContext);
    else dispatch(method, path, route, requestContext);
  };

  function dispatch(
    method: string,
    path: string,
    route: Route | undefined,
    requestContext: RequestContext,
  ): unknown {
    const { request, response } = requestContext;
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
      if (auth !== 'ok') return refuseUnauthorized(response, auth);
    }
    try {
      const match = route.pattern.exec(path);
      requestContext.params = (match?.slice(1) ?? []).map((segment) => decodeURIComponent(segment));
    } catch {
      return sendText(response, 400, `${statusText(400)}: the path ${path} is not valid percent-encoding`);
    }
    void run(endpoint, requestContext, logger);
  }
}

function refuseUnauthorized(response: ServerResponse, auth: 'missing' | 'invalid'): void {
  const [challenge, reason] =
    auth === 'missing'
      ? [
          'Bearer realm="flaky-server"',
          'this endpoint needs "Authorization: Bearer <token>" (SERVER_ADMIN_TOKEN is set)',
        ]
      : ['Bearer realm="flaky-server", error="invalid_token"', 'the bearer token is wrong'];
  sendText(response, 401, `${statusText(401)}: ${reason}`, { 'www-authenticate': challenge });
}

async function run(endpoint: Endpoint, requestContext: RequestContext, logger: Logger): Promise<void> {
  const { response } = requestContext;
  try {
    await endpoint(requestContext);
  } catch (error) {
    inSpan(requestContext.span, () =>
      logger.error({ ...traceFields(requestContext.span), err: error }, 'request failed'),
    );
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
