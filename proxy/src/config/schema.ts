// The proxy's native config. Other formats (the Lalamove sidecar YAML, rgate's Docker labels) are meant
// to be translated into this one by adapters, so every concept lives here once: a route has a `match`,
// `policies`, and either an `upstream` group (targets + balancer) or a `static` response.
import { duration } from '@sre-stack/runtime';
import { z } from 'zod';
import { POLICIES } from '../policies/index.ts';
import { STRATEGY_NAMES } from '../upstream/balancer.ts';

const name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/,
    'use letters, digits, "_", ".", ":" or "-" (starting with a letter or digit), at most 63 characters',
  );

const port = z.int().min(0).max(65535);

// Not z.url(): its JSON Schema says format "uri", which editors apply to the raw "${VAR:-…}" text.
const targetUrl = z
  .string()
  .refine((text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'http:' && url.hostname !== '' && (url.pathname === '/' || url.pathname === '');
    } catch {
      return false;
    }
  }, 'expected an http:// origin such as http://127.0.0.1:8080 (no path)')
  .meta({ description: 'An upstream origin: http://host:port' });

const target = z
  .union([
    targetUrl,
    z.strictObject({
      url: targetUrl,
      weight: z
        .int()
        .min(1)
        .max(100)
        .default(1)
        .meta({ description: 'Share of attempts relative to the others. Default 1.' }),
    }),
  ])
  .transform((value) => (typeof value === 'string' ? { url: value, weight: 1 } : value));

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid header name');
const headerEdits = z
  .strictObject({
    set: z
      .record(headerName, z.string())
      .default({})
      .meta({ description: 'Headers to set (replacing any of that name).' }),
    remove: z.array(headerName).default([]).meta({ description: 'Headers to drop.' }),
  })
  .prefault({});

export const upstreamSchema = z
  .strictObject({
    targets: z.array(target).default([]).meta({
      description: 'Upstream origins. An empty list is allowed: requests then get 503 (no upstream).',
    }),
    balancer: z.enum(STRATEGY_NAMES).default('round-robin').meta({
      description:
        'How attempts spread over targets: round-robin, random or least-request. Default round-robin.',
    }),
    pool: z
      .strictObject({
        connections: z
          .int()
          .min(1)
          .max(4096)
          .default(128)
          .meta({ description: 'Connections per target. Default 128.' }),
        pipelining: z
          .int()
          .min(1)
          .max(64)
          .default(1)
          .meta({ description: 'Requests in flight per connection. Default 1.' }),
        keepAlive: duration()
          .prefault('30s')
          .meta({ description: 'Idle connections close after this. Default 30s.' }),
        connectTimeout: duration().prefault('5s').meta({ description: 'TCP connect bound. Default 5s.' }),
        idleTimeout: duration().prefault('60s').meta({
          description: 'A response body stalling longer than this between chunks is cut. Default 60s.',
        }),
      })
      .prefault({}),
  })
  .meta({ description: 'An upstream group: targets and how to balance over them.' });

const policyShape = Object.fromEntries(
  POLICIES.map((policy) => [
    policy.key,
    policy.defaultConfig !== undefined
      ? policy.schema.prefault(policy.defaultConfig)
      : policy.schema.optional(),
  ]),
) as Record<string, z.ZodType>;

export const routeSchema = z
  .strictObject({
    name: name
      .optional()
      .meta({ description: 'The `route` label in metrics and logs. Default route<index>.' }),
    match: z
      .strictObject({
        pathPrefix: z.string().startsWith('/').optional().meta({ description: 'Paths starting with this.' }),
        path: z.string().startsWith('/').optional().meta({
          description: 'An exact path, or a glob where * matches anything (including "/"): "/foo*".',
        }),
        methods: z
          .array(z.string().regex(/^[A-Z]+$/, 'expected an upper-case method name'))
          .optional()
          .meta({
            description: 'Methods matched. Default any.',
          }),
        host: z.string().min(1).optional().meta({
          description: 'Host header (port ignored, case-insensitive); "*.example.com" matches subdomains.',
        }),
      })
      .prefault({})
      .refine((match) => !(match.path && match.pathPrefix), 'set either path or pathPrefix, not both'),
    upstream: z.union([name, upstreamSchema]).optional().meta({
      description: 'Where to forward: the name of a group under `upstreams`, or a group inline.',
    }),
    static: z
      .strictObject({
        status: z.int().min(200).max(599).default(200),
        body: z.string().default(''),
        contentType: z.string().default('text/plain; charset=utf-8'),
        headers: z.record(headerName, z.string()).default({}),
      })
      .optional()
      .meta({ description: 'Answer locally instead of forwarding.' }),
    rewrite: z
      .strictObject({
        host: z
          .string()
          .min(1)
          .optional()
          .meta({ description: "Host header sent upstream. Default: the client's." }),
        stripPrefix: z
          .string()
          .startsWith('/')
          .optional()
          .meta({ description: 'Removed from the path when present.' }),
        addPrefix: z
          .string()
          .startsWith('/')
          .optional()
          .meta({ description: 'Prepended to the path (after stripPrefix).' }),
        requestHeaders: headerEdits,
        responseHeaders: headerEdits,
      })
      .optional(),
    policies: z.strictObject(policyShape).prefault({}),
  })
  .refine((route) => (route.upstream === undefined) !== (route.static === undefined), {
    message: 'a route needs exactly one of upstream or static',
  });

const listener = (defaultPort: number) =>
  z
    .strictObject({
      host: z.string().min(1).optional().meta({ description: 'Address to bind. Default all interfaces.' }),
      port: port
        .default(defaultPort)
        .meta({ description: `Port. Default ${defaultPort}; --port/--metrics-port win.` }),
    })
    .prefault({});

export const configSchema = z
  .strictObject({
    listen: listener(8000).meta({ description: 'The serving listener.' }),
    admin: listener(9102).meta({ description: 'The admin listener: /metrics, /healthz, /readyz, /config.' }),
    server: z
      .strictObject({
        keepAliveTimeout: duration()
          .prefault('5s')
          .meta({ description: 'Idle client connections close after this.' }),
        headersTimeout: duration().prefault('30s').meta({ description: 'Time allowed for a request head.' }),
        requestTimeout: duration().prefault('0s').meta({
          description: 'Time allowed to receive a whole request body; "0s" (default) none, for long uploads.',
        }),
        maxHeaderSize: z
          .int()
          .min(1024)
          .max(1024 * 1024)
          .default(16 * 1024)
          .meta({
            description: 'Request heads larger than this are refused with 431. Default 16384.',
          }),
      })
      .prefault({}),
    accessLog: z
      .boolean()
      .default(true)
      .meta({ description: 'One JSON line per request on stdout. Default true.' }),
    upstreams: z.record(name, upstreamSchema).default({}).meta({ description: 'Named upstream groups.' }),
    routes: z.array(routeSchema).default([]).meta({ description: 'Matched in order; the first match wins.' }),
  })
  .superRefine((config, context) => {
    const seen = new Map<string, number>();
    config.routes.forEach((route, index) => {
      const routeName = route.name ?? `route${index}`;
      const first = seen.get(routeName);
      if (first !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['routes', index, 'name'],
          message: `route name "${routeName}" is already used by routes[${first}]`,
        });
      } else {
        seen.set(routeName, index);
      }
      if (typeof route.upstream === 'string' && !(route.upstream in config.upstreams)) {
        context.addIssue({
          code: 'custom',
          path: ['routes', index, 'upstream'],
          message: `no upstream named "${route.upstream}" under upstreams (known: ${Object.keys(config.upstreams).join(', ') || 'none'})`,
        });
      }
    });
  });

export type ProxyConfig = z.output<typeof configSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type UpstreamConfig = z.output<typeof upstreamSchema>;
