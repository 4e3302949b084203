// The status page's routes on the prober's metrics listener: the page and its two static files, /probes
// with history, /events, and the badges. All read-only (the listener answers 405 to anything but GET/HEAD).
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AdminHandler, type Logger, sendJson } from '@sre-stack/runtime';
import type { ProbeContext } from '../monitor.ts';
import { type Badge, latencyBadge, notFoundBadge, sendBadge, statusBadge, uptimeBadge } from './badges.ts';
import { EventHub } from './events.ts';
import { historyView, type StatusSource, statusSnapshot, statusSnapshotText } from './model.ts';

const PAGE_DIR = new URL('./page/', import.meta.url);
// A Map, not an object: `?window=toString` must not find Object.prototype's members.
const UPTIME_WINDOWS = new Map([
  ['1h', 60 * 60_000],
  ['24h', 24 * 60 * 60_000],
]);

/** The page runs only its own script and styles and talks only to this listener. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

function staticFile(name: string, contentType: string): AdminHandler {
  const body = readFileSync(new URL(name, PAGE_DIR));
  return (_request, response) => {
    response.writeHead(200, { ...PAGE_HEADERS, 'content-type': contentType, 'content-length': body.length });
    response.end(body);
  };
}

export interface StatusRoutes {
  routes: Record<string, AdminHandler>;
  close(): void;
}

export function statusRoutes(source: StatusSource, logger: Logger): StatusRoutes {
  const events = new EventHub({
    snapshot: () => statusSnapshotText(source),
    subscribe: (listener) => source.history.onChange(listener),
    onError: (error) =>
      logger.error({ err: error }, 'status page snapshot failed; open pages will reconnect'),
  });
  return {
    routes: {
      '/': staticFile('index.html', 'text/html; charset=utf-8'),
      '/status/app.js': staticFile('app.js', 'text/javascript; charset=utf-8'),
      '/status/card.js': staticFile('card.js', 'text/javascript; charset=utf-8'),
      '/status/common.js': staticFile('common.js', 'text/javascript; charset=utf-8'),
      '/status/timeline.js': staticFile('timeline.js', 'text/javascript; charset=utf-8'),
      '/status/style.css': staticFile('style.css', 'text/css; charset=utf-8'),
      '/probes': (_request, response) => sendJson(response, 200, statusSnapshot(source)),
      '/events': events.handle,
      '/badges/*': (request, response) => badge(source, request, response),
    },
    close: () => events.close(),
  };
}

function badge(source: StatusSource, request: IncomingMessage, response: ServerResponse): void {
  const [status, drawn] = chooseBadge(source, new URL(request.url ?? '/', 'http://prober'));
  sendBadge(response, status, drawn);
}

function chooseBadge(source: StatusSource, url: URL): [number, Badge] {
  const match = /^\/badges\/([^/]+)\/(status|uptime|latency)\.svg$/.exec(url.pathname);
  let name: string | undefined;
  try {
    name = match ? decodeURIComponent(match[1] as string) : undefined;
  } catch {}
  const context = name === undefined ? undefined : findProbe(source.contexts(), name);
  if (!match || !context || name === undefined) return [404, notFoundBadge];
  const history = source.history.probes.get(name);
  if (match[2] === 'status') return [200, statusBadge(name, context.state.status)];
  if (match[2] === 'uptime') {
    const window = url.searchParams.get('window') ?? '24h';
    const windowMs = UPTIME_WINDOWS.get(window);
    if (windowMs === undefined) return [400, { label: 'window', message: 'use 1h or 24h', color: 'none' }];
    return [200, uptimeBadge(window, history?.uptime(source.now(), windowMs) ?? null)];
  }
  const p95 = historyView(history, source.now()).latency_p95_ms;
  return [200, latencyBadge(p95, context.definition.expect.maxLatencyMs)];
}

function findProbe(contexts: Iterable<ProbeContext>, name: string): ProbeContext | undefined {
  for (const context of contexts) {
    if (context.definition.kind === 'probe' && context.definition.name === name) return context;
  }
  return undefined;
}
