import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@sre-stack/runtime';
import type { Outcome } from '../../src/pipeline/outcome.ts';
import { type AttemptOptions, UNBOUNDED } from '../../src/pipeline/types.ts';
import { timeoutPolicy } from '../../src/policies/timeout/index.ts';
import { SharedState } from '../../src/state/state.ts';
import { fakeExchange } from '../helpers/exchange.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const context = {
  route: 'api',
  upstream: true,
  targets: [],
  clock: new FakeClock(),
  logger: createLogger({ service: 'test', level: 'silent' }),
  workers: 1,
  shared: SharedState.create({ shared: false }),
  random: Math.random,
};
const ok = () => Promise.resolve<Outcome>({ kind: 'local', status: 200, body: '', decidedBy: 'static' });

describe('timeout policy', () => {
  it('sets the deadline from the request start', async () => {
    const policy = timeoutPolicy.create(timeoutPolicy.schema.parse('2s'), context);
    const exchange = fakeExchange();
    let seen: AttemptOptions | undefined;
    await policy.handle!(
      exchange,
      (_exchange, options) => {
        seen = options;
        return ok();
      },
      UNBOUNDED,
    );
    assert.equal(seen?.deadlineMs, 2000);
    assert.equal(seen?.deadlineAt, exchange.startedAt + 2000);
    assert.equal(seen?.perTryTimeoutMs, Number.POSITIVE_INFINITY);
  });

  it('"0s" disables it', () => {
    const policy = timeoutPolicy.create(timeoutPolicy.schema.parse('0s'), context);
    assert.equal(policy.handle, undefined);
  });

  it('is on by default for every route (15s)', () => {
    assert.equal(timeoutPolicy.defaultConfig, '15s');
  });
});
