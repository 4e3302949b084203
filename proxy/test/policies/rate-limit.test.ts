import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@sre-stack/runtime';
import type { LocalOutcome, Outcome } from '../../src/pipeline/outcome.ts';
import type { PolicyContext } from '../../src/pipeline/policy.ts';
import { UNBOUNDED } from '../../src/pipeline/types.ts';
import { tokenBucket } from '../../src/policies/rate-limit/algorithms.ts';
import { policyHeader, sfString, stateHeader } from '../../src/policies/rate-limit/headers.ts';
import { rateLimitPolicy } from '../../src/policies/rate-limit/index.ts';
import { SharedBuckets, type TakeResult } from '../../src/policies/rate-limit/keyed-buckets.ts';
import { TokenBucket } from '../../src/policies/rate-limit/token-bucket.ts';
import { SharedState } from '../../src/state/state.ts';
import { fakeExchange, statusOf } from '../helpers/exchange.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const ok: Outcome = { kind: 'local', status: 200, body: 'ok', decidedBy: 'static' };
const next = () => Promise.resolve(ok);

function context(
  clock: FakeClock,
  workers = 1,
  shared = SharedState.create({ shared: false }),
): PolicyContext {
  return {
    route: 'api',
    upstream: true,
    targets: [],
    clock,
    logger: createLogger({ service: 'test', level: 'silent' }),
    workers,
    shared,
    random: Math.random,
  };
}

function create(config: Record<string, unknown>, clock: FakeClock, workers = 1, shared?: SharedState) {
  const parsed = rateLimitPolicy.schema.parse(config);
  return rateLimitPolicy.create(parsed, context(clock, workers, shared));
}

describe('token bucket', () => {
  it('allows a burst of capacity, then refills capacity per window, continuously', () => {
    const bucket = new TokenBucket(3, 1000, 0);
    assert.equal([1, 2, 3, 4].filter(() => bucket.take(0)).length, 3);
    assert.equal(bucket.take(0), false);
    assert.equal(bucket.msUntilToken(), 1000 / 3);
    assert.equal(bucket.take(333), false);
    assert.equal(bucket.take(334), true);
    bucket.refill(10_000);
    assert.equal(bucket.remaining, 3, 'never more than capacity');
    assert.equal(bucket.isFull(10_000), true);
  });
});

describe('keyed buckets in the shared key table', () => {
  const result = (): TakeResult => ({ passed: false, remaining: 0, msUntilToken: 0, msUntilFull: 0 });
  const take = (buckets: SharedBuckets, key: string, now: number) => {
    const taken = result();
    buckets.take(key, now, taken);
    return taken.passed;
  };

  it('keeps one bucket per key', () => {
    const buckets = new SharedBuckets(SharedState.create({ shared: false }), 'r', tokenBucket, {
      capacity: 1,
      windowMs: 1000,
    });
    assert.equal(take(buckets, 'a', 0), true);
    assert.equal(take(buckets, 'a', 0), false);
    assert.equal(take(buckets, 'b', 0), true);
    assert.equal(take(buckets, 'a', 1000), true, 'refilled after a window');
  });

  it('hands idle buckets to new keys; a key that finds no room shares the overflow bucket', () => {
    // A table of 32 slots is one probe window: 32 keys fill it.
    const shared = SharedState.create({ shared: false, keySlots: 32 });
    const buckets = new SharedBuckets(shared, 'r', tokenBucket, { capacity: 1, windowMs: 1000 });
    for (let i = 0; i < 32; i++) assert.equal(take(buckets, `client${i}`, 0), true);
    assert.equal(take(buckets, 'late', 0), true, 'the overflow bucket has its own token');
    assert.equal(take(buckets, 'later', 0), false, 'and is shared by every key without room');
    assert.equal(take(buckets, 'latest', 1000), true, 'once idle, a bucket is reused for a new key');
    assert.equal(take(buckets, 'latest', 1000), false);
  });
});

describe('RateLimit headers', () => {
  it('writes the IETF structured fields', () => {
    assert.equal(policyHeader('api', 100, 60_000), '"api";q=100;w=60');
    assert.equal(policyHeader('api', 5, 500), '"api";q=5;w=1', 'w is whole seconds, at least 1');
    assert.equal(stateHeader(sfString('api'), 3, 1500), '"api";r=3;t=2');
    assert.equal(sfString('a"b\\c'), '"a\\"b\\\\c"');
  });
});

describe('rate limit policy', () => {
  it('passes `capacity` requests, then answers 429 with Retry-After and RateLimit headers', async () => {
    const clock = new FakeClock();
    const policy = create({ capacity: 2, window: '1s' }, clock);
    const first = fakeExchange();
    assert.equal(statusOf(await policy.handle!(first, next, UNBOUNDED)), 200);
    assert.deepEqual(first.extraHeaders, ['ratelimit-policy', '"api";q=2;w=1', 'ratelimit', '"api";r=1;t=1']);
    assert.equal(statusOf(await policy.handle!(fakeExchange(), next, UNBOUNDED)), 200);
    const refused = (await policy.handle!(fakeExchange(), next, UNBOUNDED)) as LocalOutcome;
    assert.equal(refused.status, 429);
    assert.equal(refused.decidedBy, 'rate_limit');
    const headers = Object.fromEntries(
      (refused.headers ?? []).flatMap((value, index, list) =>
        index % 2 === 0 ? [[value, list[index + 1]]] : [],
      ),
    );
    assert.equal(headers['retry-after'], '1');
    assert.equal(headers['ratelimit-policy'], '"api";q=2;w=1');
    assert.equal(headers.ratelimit, '"api";r=0;t=1');
    assert.match(refused.body, /at most 2 requests per 1 s/);
    clock.advance(500);
    assert.equal(
      statusOf(await policy.handle!(fakeExchange(), next, UNBOUNDED)),
      200,
      'half a window refills one token',
    );
  });

  it('keys by client address when asked, so one client cannot starve another', async () => {
    const clock = new FakeClock();
    const policy = create({ capacity: 1, key: 'client_ip' }, clock);
    assert.equal(
      statusOf(await policy.handle!(fakeExchange({ remoteAddress: '10.0.0.1' }), next, UNBOUNDED)),
      200,
    );
    assert.equal(
      statusOf(await policy.handle!(fakeExchange({ remoteAddress: '10.0.0.1' }), next, UNBOUNDED)),
      429,
    );
    assert.equal(
      statusOf(await policy.handle!(fakeExchange({ remoteAddress: '10.0.0.2' }), next, UNBOUNDED)),
      200,
    );
  });

  it('keys by a header value; requests without the header share one bucket', async () => {
    const clock = new FakeClock();
    const policy = create({ capacity: 1, key: 'header:X-Api-Key' }, clock);
    const withKey = (key?: string) => fakeExchange({ headers: key ? { 'x-api-key': key } : {} });
    assert.equal(statusOf(await policy.handle!(withKey('a'), next, UNBOUNDED)), 200);
    assert.equal(statusOf(await policy.handle!(withKey('a'), next, UNBOUNDED)), 429);
    assert.equal(statusOf(await policy.handle!(withKey('b'), next, UNBOUNDED)), 200);
    assert.equal(statusOf(await policy.handle!(withKey(), next, UNBOUNDED)), 200);
    assert.equal(statusOf(await policy.handle!(withKey(), next, UNBOUNDED)), 429);
  });

  it('only adds headers to 429s when headers is "rejections"', async () => {
    const policy = create({ capacity: 5, headers: 'rejections' }, new FakeClock());
    const exchange = fakeExchange();
    await policy.handle!(exchange, next, UNBOUNDED);
    assert.equal(exchange.extraHeaders, undefined);
  });

  it('holds one limit for every worker thread: policies on the same shared state share the bucket', async () => {
    const clock = new FakeClock();
    const shared = SharedState.create();
    const first = create({ capacity: 10, window: '1s', algorithm: 'fixed-window' }, clock, 2, shared);
    const second = create({ capacity: 10, window: '1s', algorithm: 'fixed-window' }, clock, 2, shared);
    const results = [];
    for (let i = 0; i < 15; i++)
      results.push(statusOf(await (i % 2 ? first : second).handle!(fakeExchange(), next, UNBOUNDED)));
    assert.equal(results.filter((status) => status === 200).length, 10, 'exactly the capacity passes');
    clock.advance(1000);
    assert.equal(statusOf(await first.handle!(fakeExchange(), next, UNBOUNDED)), 200, 'a new window');
  });

  it('refuses bad config with a message', () => {
    const result = rateLimitPolicy.schema.safeParse({ capacity: 0, key: 'cookie' });
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error?.issues), /client_ip/);
  });
});
