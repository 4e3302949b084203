// The rgate format, read as written (its two YAML blocks in one file), mapped
// onto the proxy's routes:
//
//   routes[].path_prefix, backend   → a route on that prefix (in file order) to the backend's group;
//                                     the path, method, headers and body go unchanged, X-Forwarded-For added
//   default_response                → a last route answering every other request with that body and status
//   backends[].match_labels         → an upstream group of the Docker containers carrying all those labels,
//                                     found and followed through the Docker Engine API, one picked at random
//                                     per request; 503 when none runs or it cannot be reached
//   (implied)                       → GET /stats on the serving port: request counts and latency
import { z } from 'zod';
import { nameFromText, uniqueNames } from './names.ts';
import type { NativeInput, NativeRoute } from './native-input.ts';

const LABEL = /^[^=\s]+(=.*)?$/;

export const rgateSchema = z
  .strictObject({
    routes: z
      .array(
        z.strictObject({
          path_prefix: z
            .string()
            .startsWith('/')
            .meta({ description: 'Requests whose path starts with this.' }),
          backend: z.string().min(1).meta({ description: 'The name of a backend under `backends`.' }),
        }),
      )
      .default([])
      .meta({ description: 'Matched in order; the first prefix that matches wins.' }),
    default_response: z
      .strictObject({
        body: z.string().default(''),
        status_code: z.int().min(200).max(599),
      })
      .optional()
      .meta({ description: 'The answer to every request no route matches. Without it: 404.' }),
    backends: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          match_labels: z
            .array(z.string().regex(LABEL, 'expected a Docker label as key=value (or a bare key)'))
            .min(1)
            .meta({ description: 'Containers carrying all of these labels serve this backend.' }),
        }),
      )
      .default([]),
  })
  .superRefine((config, context) => {
    const names = new Set<string>();
    config.backends.forEach((backend, index) => {
      if (names.has(backend.name)) {
        context.addIssue({
          code: 'custom',
          path: ['backends', index, 'name'],
          message: `backend "${backend.name}" is defined twice`,
        });
      }
      names.add(backend.name);
    });
    config.routes.forEach((route, index) => {
      if (!names.has(route.backend)) {
        context.addIssue({
          code: 'custom',
          path: ['routes', index, 'backend'],
          message: `no backend named "${route.backend}" under backends (known: ${[...names].join(', ') || 'none'})`,
        });
      }
    });
  })
  .meta({ title: 'rgate configuration (the rgate format)' });

export type RgateConfig = z.output<typeof rgateSchema>;

/** Every method: an attempt that could not connect sent nothing, so trying another container is safe. */
const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];

export function rgateToNative(config: RgateConfig): NativeInput {
  const groupNames = uniqueNames(config.backends.map((backend) => nameFromText(backend.name, 'backend')));
  const groupOf = new Map(
    config.backends.map((backend, index) => [backend.name, groupNames[index] as string]),
  );
  const upstreams: NonNullable<NativeInput['upstreams']> = {};
  config.backends.forEach((backend, index) => {
    upstreams[groupNames[index] as string] = {
      discovery: { docker: { labels: backend.match_labels } },
      balancer: 'random',
      unreachableStatus: 503,
    };
  });
  const routeNames = uniqueNames([
    ...config.routes.map((route) => groupOf.get(route.backend) ?? 'route'),
    'default_response',
  ]);
  const routes: NativeRoute[] = config.routes.map((route, index) => ({
    name: routeNames[index] as string,
    match: { pathPrefix: route.path_prefix },
    upstream: groupOf.get(route.backend) as string,
    // Only X-Forwarded-For is added: the gateway forwards the request otherwise unchanged.
    rewrite: { forwardedHeaders: ['for'] },
    policies: {
      retry: { retries: 2, on: ['connect-failure'], methods: ALL_METHODS },
    },
  }));
  if (config.default_response) {
    routes.push({
      name: routeNames[config.routes.length] as string,
      static: {
        status: config.default_response.status_code,
        body: config.default_response.body,
        contentType: 'text/plain; charset=utf-8',
      },
    });
  }
  return { stats: { path: '/stats' }, upstreams, routes };
}
