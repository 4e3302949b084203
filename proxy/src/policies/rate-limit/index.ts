// Rate limit: a token bucket (or a fixed window) per route, or per client IP or header value within the route. Over the
// limit, the request is answered 429 at once with Retry-After and the IETF RateLimit headers; the
// upstream never sees it.
import { duration } from '@sre-stack/runtime/config';
import { z } from 'zod';
import { ANSWERS } from '../../pipeline/answers.ts';
import { definePolicy } from '../../pipeline/policy.ts';
import { LeanCounter } from '../../telemetry/lean-metrics.ts';
import { ALGORITHMS } from './algorithms.ts';
import { policyHeader, sfString, stateHeader } from './headers.ts';
import { SharedBuckets, type TakeResult } from './keyed-buckets.ts';

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
        "Keyed buckets this limit expects; the shared key table is sized at start for the sum over all routes (twice that many entries). Idle buckets are reused; a key that finds no room shares the route's overflow bucket.",
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
    // One bucket (or one per key) for the whole proxy, in the state every worker thread shares. The
    // settings are part of the key, so that a reload keeps a bucket only when its limit is unchanged.
    const prefix = `ratelimit|${route}|${config.key}|${config.algorithm}|${config.capacity}|${config.window}`;
    const buckets = new SharedBuckets(context.shared, prefix, ALGORITHMS[config.algorithm], {
      capacity: config.capacity,
      windowMs: config.window,
    });
    const taken: TakeResult = { passed: false, remaining: 0, msUntilToken: 0, msUntilFull: 0 };
    const counter = rateLimited.child(route);
    const policyValue = policyHeader(route, config.capacity, config.window);
    const name = sfString(route);
    const always = config.headers === 'always';
    const headerName = config.key.startsWith('header:') ? config.key.slice(7).toLowerCase() : undefined;
    const byClient = config.key === 'client_ip';

    return {
      handle(exchange, next, options) {
        const now = clock.now();
        let key: string | undefined;
        if (byClient) key = exchange.clientIp;
        else if (headerName !== undefined) key = String(exchange.req.headers[headerName] ?? '-');
        buckets.take(key, now, taken);
        if (taken.passed) {
          if (always) {
            exchange.addResponseHeader('ratelimit-policy', policyValue);
            exchange.addResponseHeader('ratelimit', stateHeader(name, taken.remaining, taken.msUntilFull));
          }
          return next(exchange, options);
        }
        counter.inc();
        const retryAfter = Math.max(1, Math.ceil(taken.msUntilToken / 1000));
        const per = `${config.window / 1000} s`;
        const scope = config.key === 'route' ? '' : ` for ${config.key} ${key}`;
        return Promise.resolve(
          ANSWERS.rateLimited({
            route,
            scope,
            capacity: config.capacity,
            per,
            retryAfter,
            headers: [
              'ratelimit-policy',
              policyValue,
              'ratelimit',
              stateHeader(name, 0, Math.max(taken.msUntilToken, 1)),
            ],
          }),
        );
      },
    };
  },
});
