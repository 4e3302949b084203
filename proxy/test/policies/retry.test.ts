import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@sre-stack/runtime';
import type { Exchange } from '../../src/pipeline/exchange.ts';
import type { Outcome } from '../../src/pipeline/outcome.ts';
import { type AttemptOptions, UNBOUNDED } from '../../src/pipeline/types.ts';
import { backoffMs } from '../../src/policies/retry/backoff.ts';
import { RetryBudget } from '../../src/policies/retry/budget.ts';
import { compileConditions, retryReason } from '../../src/policies/retry/conditions.ts';
import { retryPolicy } from '../../src/policies/retry/index.ts';
import { retryAfterMs } from '../../src/policies/retry/retry-after.ts';
import { SharedState } from '../../src/state/state.ts';
import { fakeExchange, statusOf } from '../helpers/exchange.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

function response(
  status: number,
  headers: Record<string, string> = {},
): Outcome & { discarded: () => boolean } {
  let discarded = false;
  return {
    kind: 'response',
    status,
    headers,
    response: {
      status,
      headers,
      serviceTimeMs: 1,
      commit() {},
      discard: () => {
        discarded = true;
      },
    },
    discarded: () => discarded,
  };
}

/** A `next` that answers from a script and records each call's attempt. */
function script(...outcomes: Outcome[]) {
  const calls: number[] = [];
  const next = (exchange: Exchange) => {
    exchange.attempts++;
    calls.push(exchange.attempts);
    return Promise.resolve(outcomes[Math.min(calls.length, outcomes.length) - 1] as Outcome);
  };
  return { next, calls };
}

function create(config: Record<string, unknown>, random = () => 0) {
  return retryPolicy.create(retryPolicy.schema.parse({ backoff: { base: '1ms' }, ...config }), {
    route: 'api',
    upstream: true,
    targets: [],
    clock: new FakeClock(),
    logger: createLogger({ service: 'test', level: 'silent' }),
    workers: 1,
    shared: SharedState.create({ shared: false }),
    random,
  });
}

describe('backoff', () => {
  it('retry n waits in [0, (2^n - 1) * base), capped at max', () => {
    assert.equal(
      backoffMs(1, 25, 250, () => 0),
      0,
    );
    assert.equal(
      backoffMs(1, 25, 250, () => 0.999),
      24.975,
    );
    assert.equal(
      backoffMs(2, 25, 250, () => 0.5),
      37.5,
    );
    assert.equal(
      backoffMs(3, 25, 250, () => 0.999),
      174.825,
    );
    assert.equal(
      backoffMs(8, 25, 250, () => 0.999),
      249.75,
      'capped',
    );
    for (let retry = 1; retry <= 6; retry++) {
      for (let i = 0; i < 200; i++) {
        const wait = backoffMs(retry, 25, 250, Math.random);
        assert.ok(wait >= 0 && wait < Math.min(250, (2 ** retry - 1) * 25));
      }
    }
  });
});

describe('retry conditions', () => {
  const failure = (kind: 'connect_failure' | 'reset' | 'per_try_timeout' | 'deadline' | 'client_abort') =>
    ({ kind: 'failure', failure: kind, message: '' }) as Outcome;
  it('maps outcomes to reasons for the configured conditions only', () => {
    const conditions = compileConditions(['gateway-error', 'connect-failure', 429]);
    assert.equal(retryReason(response(503), conditions), '503');
    assert.equal(retryReason(response(500), conditions), null);
    assert.equal(retryReason(response(429), conditions), '429');
    assert.equal(retryReason(failure('connect_failure'), conditions), 'connect_failure');
    assert.equal(retryReason(failure('reset'), conditions), null);
    const all = compileConditions(['5xx', 'reset', 'per-try-timeout']);
    assert.equal(retryReason(response(500), all), '500');
    assert.equal(retryReason(failure('reset'), all), 'reset');
    assert.equal(retryReason(failure('per_try_timeout'), all), 'per_try_timeout');
    assert.equal(retryReason(failure('deadline'), all), null, 'never after the deadline');
    assert.equal(retryReason(failure('client_abort'), all), null);
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });
});

describe('retry budget', () => {
  it('allows max(minConcurrent, percent of active) retries at once', () => {
    const budget = new RetryBudget(20, 3);
    assert.equal([1, 2, 3, 4].filter(() => budget.tryAcquire(10)).length, 3, 'the minimum wins at low load');
    budget.release();
    budget.release();
    budget.release();
    assert.equal(Array.from({ length: 30 }, () => budget.tryAcquire(100)).filter(Boolean).length, 20);
  });
});

describe('retry policy', () => {
  it('retries a retryable outcome and discards the failed answer', async () => {
    const policy = create({ retries: 2 });
    const first = response(503);
    const { next, calls } = script(first, response(200));
    const exchange = fakeExchange();
    const outcome = await policy.handle!(exchange, next, UNBOUNDED);
    assert.equal(statusOf(outcome), 200);
    assert.deepEqual(calls, [1, 2]);
    assert.equal(first.discarded(), true);
    assert.deepEqual(outcome.retry?.reasons, ['503'], 'reported on the outcome');
  });

  it('waits its backoff on the injected clock: the retry starts only when the clock passes the wait', async () => {
    const policy = create({ retries: 1, backoff: { base: '1s' } }, () => 0.5);
    const { next, calls } = script(response(503), response(200));
    const clock = new FakeClock();
    const exchange = fakeExchange({}, {}, clock);
    const pending = policy.handle!(exchange, next, UNBOUNDED);
    for (let turn = 0; turn < 5; turn++) await Promise.resolve();
    assert.deepEqual(calls, [1], 'waiting 500 ms of fake time');
    clock.advance(499);
    for (let turn = 0; turn < 5; turn++) await Promise.resolve();
    assert.deepEqual(calls, [1]);
    clock.advance(1);
    assert.equal(statusOf(await pending), 200);
    assert.deepEqual(calls, [1, 2]);
  });

  it('answers for the last try when the circuit refuses the retry (no target would take it)', async () => {
    const policy = create({ retries: 2 });
    const failed: Outcome = { kind: 'failure', failure: 'connect_failure', message: 'ECONNREFUSED' };
    const refused: Outcome = {
      kind: 'local',
      status: 503,
      body: 'circuit open',
      decidedBy: 'circuit_breaker',
      headers: ['retry-after', '30'],
    };
    const { next, calls } = script(failed, refused);
    const exchange = fakeExchange();
    const outcome = await policy.handle!(exchange, next, UNBOUNDED);
    const { retry: report, ...answer } = outcome;
    assert.deepEqual(answer, failed, 'the refusal is not the answer');
    assert.deepEqual(calls, [1, 2]);
    assert.match(report?.detail ?? '', /circuit open: not retried/);
    assert.equal(report?.reasons, undefined, 'no retry went out');
  });

  it('stops after `retries` and returns the last answer', async () => {
    const policy = create({ retries: 2 });
    const { next, calls } = script(response(502));
    const exchange = fakeExchange();
    const outcome = await policy.handle!(exchange, next, UNBOUNDED);
    assert.equal(statusOf(outcome), 502);
    assert.deepEqual(calls, [1, 2, 3]);
    assert.match(outcome.retry?.detail ?? '', /after 2 retries/);
    assert.deepEqual(outcome.retry?.reasons, ['502', '502']);
  });

  it('does not retry what is not listed, nor non-idempotent methods unless opted in', async () => {
    const policy = create({ retries: 3, on: ['gateway-error'] });
    const plain = script(response(500));
    await policy.handle!(fakeExchange(), plain.next, UNBOUNDED);
    assert.deepEqual(plain.calls, [1]);
    const post = script(response(503), response(200));
    await policy.handle!(fakeExchange({ method: 'POST' }), post.next, UNBOUNDED);
    assert.deepEqual(post.calls, [1]);
    const optedIn = create({ retries: 3, methods: ['POST'] });
    const again = script(response(503), response(200));
    assert.equal(
      statusOf(await optedIn.handle!(fakeExchange({ method: 'POST' }), again.next, UNBOUNDED)),
      200,
    );
  });

  it('honours Retry-After within the cap, and passes a longer one through untried', async () => {
    const policy = create({ retries: 1, maxRetryAfter: '1s', on: [429, 'gateway-error'] });
    const short = script(response(429, { 'retry-after': '0' }), response(200));
    assert.equal(statusOf(await policy.handle!(fakeExchange(), short.next, UNBOUNDED)), 200);
    const long = script(response(503, { 'retry-after': '120' }), response(200));
    const exchange = fakeExchange();
    const outcome = await policy.handle!(exchange, long.next, UNBOUNDED);
    assert.equal(statusOf(outcome), 503);
    assert.deepEqual(long.calls, [1]);
    assert.match(outcome.retry?.detail ?? '', /Retry-After above/);
  });

  it('does not start a try the deadline cannot fit', async () => {
    const policy = create({ retries: 3, backoff: { base: '1s' } }, () => 0.9);
    const { next, calls } = script(response(503));
    const exchange = fakeExchange();
    const options = { ...UNBOUNDED, deadlineAt: exchange.clock.now() + 100, deadlineMs: 100 };
    assert.equal(statusOf(await policy.handle!(exchange, next, options)), 503);
    assert.deepEqual(calls, [1]);
  });

  it('gives up when the budget is exhausted', async () => {
    const policy = create({ retries: 3, budget: { percent: 0, minConcurrent: 0 } });
    const { next, calls } = script(response(503));
    const exchange = fakeExchange();
    const outcome = await policy.handle!(exchange, next, UNBOUNDED);
    assert.equal(statusOf(outcome), 503);
    assert.deepEqual(calls, [1]);
    assert.match(outcome.retry?.detail ?? '', /budget/);
  });

  it('hands the per-try timeout down to the tries, keeping the deadline from above', async () => {
    const policy = create({ perTryTimeout: '250ms' });
    const seen: AttemptOptions[] = [];
    const above = { ...UNBOUNDED, deadlineAt: 5000, deadlineMs: 5000 };
    await policy.handle!(
      fakeExchange(),
      (_exchange, options) => {
        seen.push(options);
        return Promise.resolve(response(200));
      },
      above,
    );
    assert.deepEqual(seen, [{ deadlineAt: 5000, deadlineMs: 5000, perTryTimeoutMs: 250 }]);
    assert.equal(above.perTryTimeoutMs, Number.POSITIVE_INFINITY, 'what came from above is not changed');
  });
});
