// Requests undici refuses before connecting (UND_ERR_INVALID_ARG and the like) are the request's fault,
// not the target's: a stream of them answers 400 and never opens a circuit (takes the target out) or
// triggers a retry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@sre-stack/runtime';
import { type Dispatcher, errors } from 'undici';
import { type Target, UNBOUNDED } from '../../src/pipeline/types.ts';
import { circuitBreakerPolicy } from '../../src/policies/circuit-breaker/index.ts';
import { compileConditions, retryReason } from '../../src/policies/retry/conditions.ts';
import { SharedState } from '../../src/state/state.ts';
import { TargetMetrics } from '../../src/telemetry/metrics.ts';
import { forward } from '../../src/upstream/forward.ts';
import { Group } from '../../src/upstream/group.ts';
import { fakeExchange } from '../helpers/exchange.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

describe('local errors: what undici refuses before connecting', () => {
  it('answers each with a 400 outcome and gives no verdict to the breaker or the retry', async () => {
    const clock = new FakeClock();
    const logger = createLogger({ service: 'test', level: 'silent' });
    let dispatched = 0;
    const pool = {
      dispatch() {
        dispatched++;
        throw new errors.InvalidArgumentError('invalid request path');
      },
    } as unknown as Dispatcher;
    const origin = 'http://127.0.0.1:9';
    const target: Target = {
      origin,
      hostname: '127.0.0.1',
      port: 9,
      weight: 1,
      pool,
      metrics: new TargetMetrics('local', origin),
      active: 0,
    };
    const shared = SharedState.create({ shared: false });
    const group = new Group({
      name: 'local',
      route: 'local',
      targets: [target],
      strategy: 'round-robin',
      idleTimeoutMs: 1000,
      clock,
      logger,
      sharing: { shared },
    });
    const breaker = circuitBreakerPolicy.create(
      circuitBreakerPolicy.schema.parse({ consecutiveFailures: 1 }),
      {
        route: 'local',
        upstream: true,
        targets: [target],
        clock,
        logger,
        workers: 1,
        shared,
        random: Math.random,
      },
    );
    const gate = breaker.gate;
    assert.ok(gate);
    const conditions = compileConditions(['5xx', 'connect-failure', 'reset', 'per-try-timeout']);
    for (let i = 0; i < 20; i++) {
      const exchange = fakeExchange({}, { name: 'local', upstream: group, gates: [gate] }, clock);
      const outcome = await forward(exchange, UNBOUNDED);
      assert.equal(outcome.kind, 'failure');
      assert.equal(outcome.kind === 'failure' && outcome.failure, 'invalid_request');
      assert.equal(retryReason(outcome, conditions), null, 'never retried');
    }
    assert.equal(dispatched, 20, 'every request was tried: the circuit never opened');
    assert.equal(gate.acquire(target), 0, 'the circuit is closed');
    assert.equal(gate.isOpen?.(target), false, 'the target is in');
    group.dispose();
  });
});
