// Rate limit: a token bucket (or a fixed window) per route, or per client IP or header value within the route. Over the
// limit, the request is answered 429 at once with Retry-After and the IETF RateLimit headers; the
// upstream never sees it.
import { duration } from '@sre-stack/runtime';
import { z } from 'zod';
import { local } from '../../pipeline/outcome.ts';
import { definePolicy } from '../../pipeline/policy.ts';
import { LeanCounter } from '../../telemetry/lean-metrics.ts';
import { policyHeader, sfString, stateHeader } from './headers.ts';
import { KeyedBuckets } from './keyed-buckets.ts';

const rateLimited = new LeanCounter(
  'proxy_rate_limited_total',
  'Requests refused with 429 by the rate limit, by route.',
  ['route'],
);

const KEY_PATTERN = /^(route|client_ip|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;

const schema = z
  .strictObject({
    capacity: z
      .int()
      .min(1)
      .meta({ description: 'Bucket size: the burst allowed, and the requests refilled per window.' }),
    window: duration()
      .prefault('1s')
      .meta({ description: 'Refill period: `capacity` tokens per window. Default 1s.' }),
    key: z
      .string()
      .regex(KEY_PATTERN, 'expected "route", "client_ip" or "header:<name>"')
      .default('route')
      .meta({
        description:
          'One bucket for the route ("route"), one per client address ("client_ip") or per value of a header ("header:x-api-key"; requests without it share one bucket).',
      }),
    maxKeys: z.int().min(1).max(1_000_000).default(10_000).meta({
      description:
        'At most this many keyed buckets; full (idle) ones are swept each window, then the oldest go.',
    }),
    algorithm: z.enum(['token-bucket', 'fixed-window']).default('token-bucket').meta({
      description:
        "token-bucket (default): `capacity` per window, refilled continuously, bursts up to `capacity`. fixed-window: at most `capacity` per window counted from its start, then 429 until the window ends (the sidecar format's maxAmount per expiration).",
    }),
    headers: z.enum(['always', 'rejections']).default('always').meta({
      description: 'Send RateLimit and RateLimit-Policy on every response of the route, or only on 429s.',
    }),
  })
  .refine((config) => config.window > 0, { message: 'window must be above 0', path: ['window'] });

export const rateLimitPolicy = definePolicy({
  key: 'rateLimit',
  order: 100,
  schema,
  create(config, context) {
    const { clock, route } = context;
    // Each serving process holds its own buckets; split the quota so that the proxy as a whole keeps it.
    const capacity = Math.max(1, Math.ceil(config.capacity / context.workers));
    const windowMs = (config.window * capacity * context.workers) / config.capacity;
    const buckets = new KeyedBuckets(capacity, windowMs, config.maxKeys, clock.now(), config.algorithm);
    const counter = rateLimited.child(route);
    const policyValue = policyHeader(route, config.capacity, config.window);
    const name = sfString(route);
    const always = config.headers === 'always';
    const headerName = config.key.startsWith('header:') ? config.key.slice(7).toLowerCase() : undefined;
    const byClient = config.key === 'client_ip';

    return {
      handle(exchange, next) {
        const now = clock.now();
        let key = '';
        if (byClient) key = exchange.clientIp;
        else if (headerName !== undefined) key = String(exchange.req.headers[headerName] ?? '-');
        const bucket = buckets.get(key, now);
        if (bucket.take(now)) {
          if (always) {
            exchange.addResponseHeader('ratelimit-policy', policyValue);
            exchange.addResponseHeader(
              'ratelimit',
              stateHeader(name, bucket.remaining, bucket.msUntilFull()),
            );
          }
          return next(exchange);
        }
        counter.inc();
        const retryAfter = Math.max(1, Math.ceil(bucket.msUntilToken() / 1000));
        const per = `${config.window / 1000} s`;
        const scope = config.key === 'route' ? '' : ` for ${config.key} ${key}`;
        return Promise.resolve(
          local(
            429,
            `rate limit exceeded on route ${route}${scope}: at most ${config.capacity} requests per ${per}; retry after ${retryAfter} s\n`,
            'rate_limit',
            [
              'retry-after',
              String(retryAfter),
              'ratelimit-policy',
              policyValue,
              'ratelimit',
              stateHeader(name, 0, Math.max(bucket.msUntilToken(), 1)),
            ],
          ),
        );
      },
    };
  },
});
