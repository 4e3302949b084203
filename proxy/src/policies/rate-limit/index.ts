// Rate limit: a token bucket (or a fixed window) per route, or per client IP or header value within the route. Over the
// limit, the request is answered 429 at once with Retry-After and the IETF RateLimit headers; the
// upstream never sees it.
import { LeanCounter } from '@sre-stack/runtime/lean-metrics';
import { ANSWERS } from '../../pipeline/answers.ts';
import { definePolicy } from '../../pipeline/policy.ts';
import { ALGORITHMS } from './algorithms.ts';
import { rateLimitConfig } from './config.ts';
import { policyHeader, sfString, stateHeader } from './headers.ts';
import { SharedBuckets, type TakeResult } from './keyed-buckets.ts';

const rateLimited = new LeanCounter(
  'proxy_rate_limited_total',
  'Requests refused with 429 by the rate limit, by route.',
  ['route'],
);

export const rateLimitPolicy = definePolicy({
  ...rateLimitConfig,
  order: 100,
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
