// The proxy's native config. Other formats (the sidecar YAML, rgate's config, the load balancer's)
// are translated into this one by the adapters in ../adapters/, so every concept lives here once: a route has a `match`,
// `policies`, and either an `upstream` group (targets + balancer) or a `static` response.
import { duration, headerFields, headerName, movedField, regularFile } from '@sre-stack/runtime/config';
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
  .refine(
    (text) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(text),
    'a user or password in a target URL is never sent: set an authorization header with rewrite.requestHeaders instead',
  )
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

const headerEdits = z
  .strictObject({
    set: headerFields().default({}).meta({ description: 'Headers to set (replacing any of that name).' }),
    remove: z.array(headerName()).default([]).meta({ description: 'Headers to drop.' }),
  })
  .prefault({});

const dockerLabel = z
  .string()
  .regex(/^[^=\s]+(=.*)?$/, 'expected a Docker label as key=value (or a bare key)');

/** upstream.health.passive judged the same verdicts as the circuit breaker: it is that breaker now. */
export const PASSIVE_HEALTH_MOVED =
  'moved: failure detection is configured once, in the policies.circuitBreaker of each route using this upstream (consecutiveFailures; openFor ← baseEjection; maxOpenFor ← maxEjection; whenAllOpen: forward for panic mode)';

const healthSchema = z
  .strictObject({
    passive: movedField(PASSIVE_HEALTH_MOVED),
    active: z
      .strictObject({
        path: z
          .string()
          .startsWith('/')
          .default('/')
          .meta({ description: 'GET this on every target. Default /.' }),
        interval: duration().prefault('5s').meta({ description: 'Between checks. Default 5s.' }),
        timeout: duration()
          .prefault('1s')
          .meta({ description: 'A check without an answer by then fails. Default 1s.' }),
        healthyThreshold: z
          .int()
          .min(1)
          .default(2)
          .meta({ description: 'Passes in a row that bring a target back. Default 2.' }),
        unhealthyThreshold: z
          .int()
          .min(1)
          .default(3)
          .meta({ description: 'Failures in a row that take it out. Default 3.' }),
      })
      .optional()
      .meta({ description: 'Health checks: 2xx or 3xx passes.' }),
  })
  .optional()
  .meta({
    description:
      'Active health checks. Targets failing them get no attempts; when every target fails them, all are used (panic mode). Failing requests are judged by policies.circuitBreaker.',
  });

export const upstreamSchema = z
  .strictObject({
    targets: z.array(target).default([]).meta({
      description: 'Upstream origins. An empty list is allowed: requests then get 503 (no upstream).',
    }),
    discovery: z
      .strictObject({
        docker: z.strictObject({
          labels: z.array(dockerLabel).min(1).meta({
            description: 'The group is every running container carrying all of these labels.',
          }),
        }),
      })
      .optional()
      .meta({
        description:
          'Targets found at run time instead of `targets`: Docker containers by label, through the Docker Engine API at DOCKER_HOST (default unix:///var/run/docker.sock).',
      }),
    health: healthSchema,
    unreachableStatus: z
      .union([z.literal(502), z.literal(503)])
      .default(502)
      .meta({
        description:
          'Status when no target could be reached (connection refused or reset): 502 Bad Gateway (default) or 503 Service Unavailable.',
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
  .refine((group) => !(group.discovery && group.targets.length > 0), {
    message: 'set either targets or discovery, not both',
  })
  .meta({ description: 'An upstream group: targets and how to balance over them.' });

const policyShape = Object.fromEntries(
  POLICIES.map(({ config: policy }) => [
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
        headers: headerFields().default({}),
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
        forwardedHeaders: z
          .array(z.enum(['for', 'proto', 'host']))
          .default(['for', 'proto', 'host'])
          .meta({
            description:
              'Which X-Forwarded-* headers are appended upstream. Default all three: for, proto, host.',
          }),
        requestHeaders: headerEdits,
        responseHeaders: headerEdits,
      })
      .optional(),
    policies: z.strictObject(policyShape).prefault({}),
  })
  .refine((route) => (route.upstream === undefined) !== (route.static === undefined), {
    message: 'a route needs exactly one of upstream or static',
  });

const listenerShape = (defaultPort: number, flag: string) => ({
  host: z.string().min(1).optional().meta({ description: 'Address to bind. Default all interfaces.' }),
  port: port.default(defaultPort).meta({ description: `Port. Default ${defaultPort}; ${flag} wins.` }),
});

const tlsSchema = z
  .strictObject({
    ...listenerShape(443, '--tls-port'),
    // May be made later (`proxy certs`); what exists must be a file, not a pipe the read would wait on.
    cert: regularFile({ mayBeMissing: true }).meta({
      description: 'PEM certificate (chain) file; relative to this file. `proxy certs` makes one.',
    }),
    key: regularFile({ mayBeMissing: true }).meta({
      description: 'PEM private key file; relative to this file.',
    }),
    redirectHttp: z.boolean().default(true).meta({
      description:
        'The plain-HTTP listener answers every request with a redirect to the same URL over HTTPS. Default true.',
    }),
    redirectPort: port.nullish().meta({
      description:
        'The HTTPS port redirects name, when clients reach the TLS listener on another port than it binds (port mapping). Default (or null) the bound port.',
    }),
    redirectStatus: z
      .union([z.literal(301), z.literal(308)])
      .default(308)
      .meta({ description: '308 (default) keeps the method and body; 301 for very old clients.' }),
    handshakeTimeout: duration().prefault('10s').meta({
      description:
        'Time a client has to complete the TLS handshake; then the connection is closed and counted as proxy_tls_handshake_errors_total{reason="timeout"}. Default 10s. Read when the listener starts.',
    }),
    // A max-age, never a timer: a year (8760h) is the usual value.
    hsts: duration({ maxMs: Number.POSITIVE_INFINITY })
      .optional()
      .meta({ description: 'Strict-Transport-Security max-age on HTTPS responses. Default none.' }),
  })
  .meta({
    description:
      'A TLS listener serving the same routes. Certificates are read again on reload (SIGHUP or a config change).',
  });

export const configSchema = z
  .strictObject({
    listen: z
      .strictObject(listenerShape(8000, '--port'))
      .prefault({})
      .meta({ description: 'The serving listener.' }),
    admin: z
      .strictObject({
        ...listenerShape(9102, '--metrics-port'),
        metricsPath: z.string().startsWith('/').default('/metrics').meta({
          description: 'Where Prometheus scrapes (as well as /metrics). Default /metrics.',
        }),
      })
      .prefault({})
      .meta({ description: 'The admin listener: /metrics, /healthz, /readyz, /config.' }),
    tls: tlsSchema.optional(),
    stats: z
      .strictObject({
        path: z.string().startsWith('/').default('/stats').meta({ description: 'Default /stats.' }),
      })
      .optional()
      .meta({
        description:
          'rgate-style traffic statistics on the serving listener: GET answers request counts (success 200–399, error 400+) and latency (average, p95, p99 in ms). Runs the proxy as one process.',
      }),
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
export type TlsConfig = z.output<typeof tlsSchema>;
