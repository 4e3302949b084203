// GET/PUT/DELETE /faults/{route} on the admin listener: read, set (with an optional expiry) or clear a
// route's fault at run time. PUT validates with the file's schema; a refusal names the field.
import type { IncomingMessage } from 'node:http';
import { type AdminRoute, bearerChecker, type Logger, sendJson } from '@sre-stack/runtime';
import { systemClock } from '../../clock.ts';
import type { ProxyConfig } from '../../config/schema.ts';
import { FaultOverlay, type FaultView } from './overlay.ts';
import { describeFault, parseAdminFault } from './rules.ts';

const BODY_LIMIT_BYTES = 64 * 1024;
export const FAULTS_PATH = '/faults/*';

/**
 * The overlay and its admin routes for a process that owns reloads (one process, or the cluster's
 * primary). `apply` is what a reload calls; PROXY_ADMIN_TOKEN, when set, guards the routes.
 */
export function faultAdmin(options: {
  file: () => ProxyConfig;
  apply: (effective: ProxyConfig) => void | Promise<void>;
  logger: Logger;
}): { overlay: FaultOverlay; routes: Record<string, AdminRoute> } {
  const { logger } = options;
  const overlay = new FaultOverlay({
    file: options.file,
    apply: options.apply,
    clock: systemClock,
    onExpired: (route) => logger.info({ route }, 'fault expired: back to the config file'),
  });
  const token = process.env.PROXY_ADMIN_TOKEN || undefined;
  return { overlay, routes: faultRoutes(overlay, { token, logger }) };
}

export function faultRoutes(
  overlay: FaultOverlay,
  options: { token: string | undefined; logger: Logger },
): Record<string, AdminRoute> {
  const authorize = bearerChecker(options.token);
  const { logger } = options;
  return {
    [FAULTS_PATH]: {
      methods: ['GET', 'HEAD', 'PUT', 'DELETE'],
      async handler(request, response) {
        const auth = authorize(request);
        if (auth !== 'ok') {
          response.setHeader('www-authenticate', 'Bearer');
          return sendJson(response, 401, {
            error:
              auth === 'missing'
                ? 'this endpoint needs Authorization: Bearer <PROXY_ADMIN_TOKEN>'
                : 'the bearer token does not match PROXY_ADMIN_TOKEN',
          });
        }
        const path = (request.url ?? '').split('?')[0] as string;
        const route = decodedSegment(path.slice('/faults/'.length));
        if (route === undefined)
          return sendJson(response, 400, { error: `the path ${path} is not valid percent-encoding` });
        const current = overlay.view(route);
        if (!current)
          return sendJson(response, 404, {
            error: `no route named "${route}"`,
            routes: overlay.routes(),
          });
        if (request.method === 'GET' || request.method === 'HEAD')
          return sendJson(response, 200, present(current));
        if (request.method === 'DELETE') {
          await overlay.remove(route);
          logger.info({ route }, 'fault cleared through the admin API');
          response.writeHead(204).end();
          return;
        }
        const body = await readJson(request);
        if (!body.ok) {
          // The rest of an oversized body is never read: it must not be parsed as the next request.
          if (body.status === 413) response.setHeader('connection', 'close');
          return sendJson(response, body.status, { error: body.error, field: '(body)' });
        }
        const parsed = parseAdminFault(body.value);
        if (!parsed.ok) return sendJson(response, 400, { error: parsed.error, field: parsed.field });
        try {
          await overlay.set(route, parsed.rules, parsed.expiresInMs);
        } catch (error) {
          return sendJson(response, 500, { error: `not applied: ${(error as Error).message}` });
        }
        logger.warn(
          { route, fault: describeFault(parsed.rules), expires_in_ms: parsed.expiresInMs },
          'fault set through the admin API',
        );
        sendJson(response, 200, present(overlay.view(route) as FaultView));
      },
    },
  };
}

function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function present(view: FaultView): Record<string, unknown> {
  return {
    route: view.route,
    fault: view.fault ? describeFault(view.fault) : null,
    source: view.source,
    expires_at: view.expiresAt === undefined ? null : new Date(view.expiresAt).toISOString(),
  };
}

type JsonBody = { ok: true; value: unknown } | { ok: false; status: number; error: string };

async function readJson(request: IncomingMessage): Promise<JsonBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES)
      return { ok: false, status: 413, error: `body larger than ${BODY_LIMIT_BYTES} bytes` };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, status: 400, error: `invalid JSON: ${(error as Error).message}` };
  }
}
