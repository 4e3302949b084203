// The sidecar format, read as written, mapped onto the proxy's routes:
//
//   port                          → listen.port
//   metrics.path, metrics.port    → admin.metricsPath, admin.port (the admin listener: also /healthz, /readyz)
//   tracing.samplingServer        → accepted; spans leave over OTLP (see docs/formats.md)
//   paths[].path, method          → a route matching that glob and method (others: 404, or 405 + Allow)
//   paths[].forwardPort           → upstream http://127.0.0.1:<forwardPort>, the app beside the sidecar
//   paths[].maxRetry              → retry on 5xx (and connect failures/resets, which would be a 502):
//                                   at most 1 + maxRetry tries, for the path's method
//   paths[].timeout               → the route deadline, all tries together: 504 when it passes
//   circuitBreaking               → circuitBreaker: maxError failures in a row open it for rejectionPeriod
//   rateLimiting                  → rateLimit, fixed window: maxAmount requests per expiration, then 429
import { z } from 'zod';
import { asMs, goDuration } from './fields.ts';
import { nameFromPath, uniqueNames } from './names.ts';
import type { NativeInput, NativeRoute } from './native-input.ts';

const port = z.int().min(0).max(65535);

const pathSchema = z.strictObject({
  path: z
    .string()
    .startsWith('/')
    .meta({ description: 'A path, or a glob where * matches anything: "/foo*".' }),
  method: z
    .string()
    .regex(/^[A-Za-z]+$/, 'expected a method name such as GET')
    .transform((method) => method.toUpperCase())
    .optional()
    .meta({ description: 'The only method forwarded on this path (others get 405). Default any.' }),
  forwardPort: port.meta({ description: 'Port of the application on the same host (127.0.0.1).' }),
  maxRetry: z
    .int()
    .min(0)
    .max(10)
    .default(0)
    .meta({ description: 'Retries of a failed request (5xx): at most 1 + maxRetry tries. Default 0.' }),
  timeout: goDuration
    .optional()
    .meta({ description: 'Bound on the whole request, all tries included; then 504. Default 15s.' }),
  circuitBreaking: z
    .strictObject({
      maxError: z.int().min(1).meta({ description: 'Consecutive errors that open the circuit.' }),
      rejectionPeriod: goDuration.meta({ description: 'How long requests are then rejected (503).' }),
    })
    .optional(),
  rateLimiting: z
    .strictObject({
      maxAmount: z.int().min(1).meta({ description: 'Requests allowed per interval; the rest get 429.' }),
      expiration: goDuration.meta({ description: 'The interval (a fixed window).' }),
    })
    .optional(),
});

export const sidecarSchema = z
  .strictObject({
    port: port.optional().meta({ description: 'Serving port. Default 8000 (--port wins).' }),
    metrics: z
      .strictObject({
        path: z.string().startsWith('/').default('/metrics'),
        port: port.optional(),
      })
      .optional()
      .meta({ description: 'Where Prometheus metrics are served (with /healthz and /readyz).' }),
    tracing: z
      .strictObject({
        samplingServer: z.string().min(1).optional().meta({
          description:
            'A Jaeger agent address, accepted for compatibility: spans leave over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT).',
        }),
      })
      .optional(),
    paths: z.array(pathSchema).meta({ description: 'Forwarded paths; a request matching none gets 404.' }),
  })
  .meta({ title: 'Ingress sidecar configuration (the sidecar format)' });

export type SidecarConfig = z.output<typeof sidecarSchema>;

export function sidecarToNative(config: SidecarConfig): NativeInput {
  const names = uniqueNames(config.paths.map((entry) => nameFromPath(entry.path)));
  const routes = config.paths.map((entry, index): NativeRoute => {
    const policies: Record<string, unknown> = {};
    if (entry.timeout !== undefined) policies.timeout = asMs(entry.timeout);
    if (entry.maxRetry > 0) {
      policies.retry = {
        retries: entry.maxRetry,
        on: ['5xx', 'connect-failure', 'reset'],
        // The file asks for retries on this path's method, whatever it is.
        ...(entry.method ? { methods: [entry.method] } : {}),
      };
    }
    if (entry.circuitBreaking) {
      policies.circuitBreaker = {
        consecutiveFailures: entry.circuitBreaking.maxError,
        openFor: asMs(entry.circuitBreaking.rejectionPeriod),
      };
    }
    if (entry.rateLimiting) {
      policies.rateLimit = {
        capacity: entry.rateLimiting.maxAmount,
        window: asMs(entry.rateLimiting.expiration),
        algorithm: 'fixed-window',
      };
    }
    return {
      name: names[index] as string,
      match: { path: entry.path, ...(entry.method ? { methods: [entry.method] } : {}) },
      upstream: { targets: [`http://127.0.0.1:${entry.forwardPort}`] },
      policies,
    };
  });
  return {
    ...(config.port !== undefined ? { listen: { port: config.port } } : {}),
    admin: {
      ...(config.metrics?.port !== undefined ? { port: config.metrics.port } : {}),
      metricsPath: config.metrics?.path ?? '/metrics',
    },
    routes,
  };
}
