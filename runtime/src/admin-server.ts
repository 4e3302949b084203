import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { LISTENER_LIMITS, refuseTunnels } from './http-listener.ts';
import { drainHttpServer } from './lifecycle.ts';
import { registry } from './metrics.ts';
import { sendMetrics } from './metrics-text.ts';
import { untracedPorts } from './telemetry/state.ts';

export type AdminHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/** A route that takes more than GET and HEAD (the proxy's PUT/DELETE /faults/{route}). */
export interface AdminRoute {
  methods: readonly string[];
  handler: AdminHandler;
}

export interface AdminServerOptions {
  port: number;
  host?: string;
  logger: Logger;
  /**
   * Extra routes a service adds (the prober's /probes, the proxy's /config): read-only unless given as
   * an AdminRoute; a key ending in `/*` matches every path under it.
   */
  routes?: Record<string, AdminHandler | AdminRoute>;
  /** Readiness beyond "the process is up": config loaded, listeners bound. */
  isReady?: () => boolean;
}

export interface AdminServer {
  server: Server;
  port: number;
  /** Drains like the serving listeners: a scrape in flight is answered; idle connections close. */
  close(deadline?: number): Promise<void>;
}

/** The most an admin listener's close waits for a scrape in flight. */
const ADMIN_DRAIN_MS = 1000;

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function prefixRoute(
  routes: Record<string, AdminHandler | AdminRoute>,
  path: string,
): AdminHandler | AdminRoute | undefined {
  for (const [key, route] of Object.entries(routes))
    if (key.endsWith('/*') && path.startsWith(key.slice(0, -1))) return route;
  return undefined;
}

/**
 * The admin listener, on its own port so that scrapes and health checks never queue behind
 * (or get counted with) user traffic: /metrics, /healthz, /readyz and the service's own routes.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const routes: Record<string, AdminHandler | AdminRoute> = {
    '/metrics': (_request, response) => sendMetrics(registry, response),
    '/healthz': (_request, response) => sendJson(response, 200, { status: 'ok' }),
    '/readyz': (_request, response) => {
      const ready = options.isReady?.() ?? true;
      sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
    },
    ...options.routes,
  };
  // Not `import ... from 'node:http'`: its ES module facade reads every export, and the lazy ones
  // (WebSocket, EventSource) load Node's internal copy of undici, about 12 MiB and 50 ms for nothing.
  // Taken here, not at import: a command that serves nothing (--check) never loads node:http.
  const { createServer } = process.getBuiltinModule('node:http');
  // Heads and bodies bounded as the flaky server bounds its own: scrapers send both at once.
  const server = createServer(LISTENER_LIMITS, async (request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = routes[path] ?? prefixRoute(routes, path);
    if (!route)
      return sendJson(response, 404, { error: `no admin route ${path}`, routes: Object.keys(routes) });
    const { methods, handler } =
      typeof route === 'function' ? { methods: ['GET', 'HEAD'], handler: route } : route;
    if (!methods.includes(request.method ?? 'GET')) {
      response.setHeader('allow', methods.join(', '));
      return sendJson(response, 405, {
        error: `${request.method} not allowed on ${path}; use ${methods.filter((name) => name !== 'HEAD').join(', ')}`,
      });
    }
    try {
      await handler(request, response);
    } catch (error) {
      options.logger.error({ err: error, path }, 'admin route failed');
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.destroy();
    }
  });
  refuseTunnels(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  untracedPorts.add(port);
  return {
    server,
    port,
    close: async (deadline = Date.now() + ADMIN_DRAIN_MS) => {
      // The OS may hand this port number to another listener later, whose requests must be traced.
      untracedPorts.delete(port);
      // Scrapers and health checkers hold no state worth waiting long for: a short grace is enough.
      await drainHttpServer(server, Math.min(deadline, Date.now() + ADMIN_DRAIN_MS), {
        idleGraceMs: 100,
      }).catch(() => {});
    },
  };
}
