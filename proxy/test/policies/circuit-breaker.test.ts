import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, registry } from '@sre-stack/runtime';
import type { Outcome } from '../../src/pipeline/outcome.ts';
import type { PolicyContext } from '../../src/pipeline/policy.ts';
import type { Target } from '../../src/pipeline/types.ts';
import { CircuitBreaker, type CircuitState, PASS } from '../../src/policies/circuit-breaker/breaker.ts';
import { circuitBreakerPolicy } from '../../src/policies/circuit-breaker/index.ts';
import { SharedState } from '../../src/state/state.ts';
import { fakeExchange } from '../helpers/exchange.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const settings = { consecutiveFailures: 3, openForMs: 10_000, maxOpenForMs: 10_000, trialTimeoutMs: 2_000 };

function breaker(clock: FakeClock, overrides: Partial<typeof settings> = {}) {
  const changes: string[] = [];
  const periods: number[] = [];
  const instance = new CircuitBreaker(
    { ...settings, ...overrides },
    clock,
    (to: CircuitState, from: CircuitState, openForMs: number) => {
      changes.push(`${from}->${to}`);
      if (to === 'open') periods.push(openForMs);
    },
  );
  return { instance, changes, periods };
}

/** Lets the open period pass and fails the trial. */
function failTrial(clock: FakeClock, instance: CircuitBreaker, afterMs: number) {
  clock.advance(afterMs);
  assert.equal(instance.state, 'half_open');
  instance.release(instance.acquire() as number, false);
}

function fail(instance: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) instance.release(instance.acquire() as number, false);
}

describe('circuit breaker state machine', () => {
  it('opens after N consecutive failures; a success in between resets the count', () => {
    const clock = new FakeClock();
    const { instance, changes } = breaker(clock);
    fail(instance, 2);
    instance.release(instance.acquire() as number, true);
    fail(instance, 2);
    assert.equal(instance.state, 'closed');
    fail(instance, 1);
    assert.equal(instance.state, 'open');
    assert.deepEqual(changes, ['closed->open']);
    assert.equal(instance.acquire(), null, 'open refuses');
    assert.equal(instance.retryAfterSeconds(), 10);
    clock.advance(4_500);
    assert.equal(instance.retryAfterSeconds(), 6, 'Retry-After counts down the open period');
  });

  it('half-opens after the open period and lets exactly one trial through', () => {
    const clock = new FakeClock();
    const { instance, changes } = breaker(clock);
    fail(instance, 3);
    clock.advance(9_999);
    assert.equal(instance.state, 'open');
    clock.advance(1);
    assert.equal(instance.state, 'half_open');
    const trial = instance.acquire();
    assert.ok(trial !== null && trial !== PASS);
    assert.equal(instance.acquire(), null, 'a second request waits for the trial');
    instance.release(trial, true);
    assert.equal(instance.state, 'closed');
    assert.equal(instance.acquire(), PASS);
    assert.deepEqual(changes, ['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('reopens for a full period when the trial fails', () => {
    const clock = new FakeClock();
    const { instance } = breaker(clock);
    fail(instance, 3);
    clock.advance(10_000);
    instance.release(instance.acquire() as number, false);
    assert.equal(instance.state, 'open');
    clock.advance(9_000);
    assert.equal(instance.state, 'open');
    clock.advance(1_000);
    assert.equal(instance.state, 'half_open');
  });

  it('reopens when the trial gives no verdict within its timeout, so a hung trial cannot wedge it', () => {
    const clock = new FakeClock();
    const { instance, changes } = breaker(clock);
    fail(instance, 3);
    clock.advance(10_000);
    const trial = instance.acquire() as number;
    clock.advance(2_000);
    assert.equal(instance.state, 'open');
    instance.release(trial, true);
    assert.equal(instance.state, 'open', "the late trial's verdict is ignored");
    assert.deepEqual(changes, ['closed->open', 'open->half_open', 'half_open->open']);
  });

  it('a trial whose client left gives no verdict: the next request becomes the trial', () => {
    const clock = new FakeClock();
    const { instance } = breaker(clock);
    fail(instance, 3);
    clock.advance(10_000);
    instance.release(instance.acquire() as number, null);
    assert.equal(instance.state, 'half_open');
    assert.notEqual(instance.acquire(), null);
  });

  it('reopens for longer each time a trial fails: the nth opening lasts n × openFor, capped at maxOpenFor', () => {
    const clock = new FakeClock();
    const { instance, periods } = breaker(clock, { maxOpenForMs: 25_000 });
    fail(instance, 3);
    failTrial(clock, instance, 10_000);
    failTrial(clock, instance, 20_000);
    clock.advance(24_999);
    assert.equal(instance.state, 'open', 'the third opening is capped at 25 s, not 30 s');
    assert.equal(instance.retryAfterSeconds(), 1);
    failTrial(clock, instance, 1);
    assert.deepEqual(periods, [10_000, 20_000, 25_000, 25_000]);
  });

  it('a trial that hangs past its timeout counts as a failed one: the reopening is longer too', () => {
    const clock = new FakeClock();
    const { instance, periods } = breaker(clock, { maxOpenForMs: 60_000 });
    fail(instance, 3);
    clock.advance(10_000);
    instance.acquire();
    clock.advance(2_000);
    assert.equal(instance.state, 'open');
    clock.advance(19_999);
    assert.equal(instance.state, 'open', 'open for 20 s from the moment the trial ran out');
    clock.advance(1);
    assert.equal(instance.state, 'half_open');
    assert.deepEqual(periods, [10_000, 20_000]);
  });

  it('a successful trial closes the circuit and starts the count again: the next opening is the first', () => {
    const clock = new FakeClock();
    const { instance, periods } = breaker(clock, { maxOpenForMs: 60_000 });
    fail(instance, 3);
    failTrial(clock, instance, 10_000);
    clock.advance(20_000);
    instance.release(instance.acquire() as number, true);
    assert.equal(instance.state, 'closed');
    fail(instance, 3);
    assert.equal(instance.retryAfterSeconds(), 10);
    assert.deepEqual(periods, [10_000, 20_000, 10_000]);
  });

  it('with maxOpenFor equal to openFor (the default), every opening lasts openFor', () => {
    const clock = new FakeClock();
    const { instance, periods } = breaker(clock);
    fail(instance, 3);
    failTrial(clock, instance, 10_000);
    failTrial(clock, instance, 10_000);
    assert.deepEqual(periods, [10_000, 10_000, 10_000]);
  });

  it('keeps its state in the shared record: two breakers on one record (two threads) see one circuit', () => {
    const clock = new FakeClock();
    const shared = SharedState.create({ shared: false });
    const record = shared.record('circuit|r|t', clock.now());
    const long = { ...settings, maxOpenForMs: 60_000 };
    const first = new CircuitBreaker(long, clock, () => {}, record);
    const second = new CircuitBreaker(long, clock, () => {}, record);
    fail(first, 2);
    fail(second, 1);
    assert.equal(first.state, 'open');
    clock.advance(10_000);
    second.release(second.acquire() as number, false);
    assert.equal(first.retryAfterSeconds(), 20, "the other thread's failed trial doubled the period");
  });

  it('ignores verdicts of requests admitted before it opened', () => {
    const clock = new FakeClock();
    const { instance } = breaker(clock);
    const early = instance.acquire() as number;
    fail(instance, 3);
    instance.release(early, true);
    assert.equal(instance.state, 'open');
  });
});

function context(clock: FakeClock, targets: Target[] = []): PolicyContext {
  return {
    route: 'api',
    upstream: targets.length > 0,
    targets,
    clock,
    logger: createLogger({ service: 'test', level: 'silent' }),
    workers: 1,
    shared: SharedState.create({ shared: false }),
    random: Math.random,
  };
}

const upstreamAnswer = (status: number): Outcome => ({
  kind: 'response',
  status,
  headers: {},
  response: { status, headers: {}, serviceTimeMs: 1, commit() {}, discard() {} },
});

describe('circuit breaker policy', () => {
  it('counts 5xx answers and transport failures per target; an open circuit refuses with 503 and Retry-After', () => {
    const clock = new FakeClock();
    const target = { origin: 'http://a:1' } as Target;
    const config = circuitBreakerPolicy.schema.parse({ consecutiveFailures: 2, openFor: '5s' });
    const policy = circuitBreakerPolicy.create(config, context(clock, [target]));
    const gate = policy.gate!;
    gate.release(target, gate.acquire(target) as number, upstreamAnswer(502));
    gate.release(target, gate.acquire(target) as number, {
      kind: 'failure',
      failure: 'connect_failure',
      message: 'refused',
    });
    assert.equal(gate.acquire(target), null);
    const refused = gate.rejection(fakeExchange());
    assert.ok(refused);
    assert.equal(refused.status, 503);
    assert.equal(refused.decidedBy, 'circuit_breaker');
    assert.deepEqual(refused.headers, ['retry-after', '5']);
    assert.match(refused.body, /http:\/\/a:1/);
    clock.advance(5_000);
    const trial = gate.acquire(target) as number;
    assert.equal(gate.acquire(target), null, 'one trial at a time');
    gate.release(target, trial, upstreamAnswer(200));
    gate.release(target, gate.acquire(target) as number, upstreamAnswer(404));
    assert.notEqual(gate.acquire(target), null, "4xx is the client's fault, not a failure");
    policy.dispose?.();
  });

  it('does nothing on a static route', () => {
    const policy = circuitBreakerPolicy.create(
      circuitBreakerPolicy.schema.parse({}),
      context(new FakeClock()),
    );
    assert.equal(policy.gate, undefined);
    assert.equal(policy.handle, undefined);
  });

  it('per target when balancing: an open target is refused by its gate, the others still admit', () => {
    const clock = new FakeClock();
    const targets = ['http://a:1', 'http://b:1'].map((origin) => ({ origin }) as Target);
    const config = circuitBreakerPolicy.schema.parse({ consecutiveFailures: 1 });
    const policy = circuitBreakerPolicy.create(config, context(clock, targets));
    assert.equal(policy.handle, undefined);
    const gate = policy.gate!;
    const [a, b] = targets as [Target, Target];
    const permit = gate.acquire(a) as number;
    gate.release(a, permit, { kind: 'failure', failure: 'reset', message: 'reset' });
    assert.equal(gate.acquire(a), null);
    assert.notEqual(gate.acquire(b), null);
    const refusal = gate.rejection(fakeExchange());
    assert.ok(refusal);
    assert.equal(refusal.status, 503);
    assert.match(refusal.body, /every target/);
    policy.dispose?.();
  });

  it('whenAllOpen: refuse answers 503 when no target admits; forward hands the request back to the balancer (panic mode)', () => {
    const clock = new FakeClock();
    const targets = ['http://a:1', 'http://b:1'].map((origin) => ({ origin }) as Target);
    const parse = (whenAllOpen?: string) =>
      circuitBreakerPolicy.schema.parse({ consecutiveFailures: 1, whenAllOpen });
    assert.equal(parse().whenAllOpen, 'refuse', 'refuse by default');
    for (const [whenAllOpen, refuses] of [
      ['refuse', true],
      ['forward', false],
    ] as const) {
      const policy = circuitBreakerPolicy.create(parse(whenAllOpen), context(clock, targets));
      const gate = policy.gate!;
      for (const target of targets) gate.release(target, gate.acquire(target) as number, upstreamAnswer(503));
      assert.ok(targets.every((target) => gate.isOpen?.(target)));
      const answer = gate.rejection(fakeExchange());
      assert.equal(answer?.status, refuses ? 503 : undefined, whenAllOpen);
      policy.dispose?.();
    }
  });

  it('derives the route state from its targets: closed while one admits, half-open at best, open when none does', async () => {
    const clock = new FakeClock();
    const targets = ['http://a:1', 'http://b:1'].map((origin) => ({ origin }) as Target);
    const config = circuitBreakerPolicy.schema.parse({ consecutiveFailures: 1, openFor: '10s' });
    const policy = circuitBreakerPolicy.create(config, { ...context(clock, targets), route: 'derived' });
    const gate = policy.gate!;
    const [a, b] = targets as [Target, Target];
    const routeState = async () => {
      const family = await registry.getSingleMetric('proxy_route_circuit_state')?.get();
      return family?.values.find((value) => value.labels.route === 'derived')?.value;
    };
    assert.equal(await routeState(), 0);
    gate.release(a, gate.acquire(a) as number, upstreamAnswer(500));
    assert.equal(await routeState(), 0, 'b still admits');
    clock.advance(5_000);
    gate.release(b, gate.acquire(b) as number, upstreamAnswer(500));
    assert.equal(await routeState(), 2, 'none admits');
    clock.advance(5_000);
    assert.equal(await routeState(), 1, "a's open period ended: its trial may go");
    gate.release(a, gate.acquire(a) as number, upstreamAnswer(200));
    assert.equal(await routeState(), 0);
    policy.dispose?.();
  });

  it('follows the targets discovery gives: the route state is over the current ones', async () => {
    const clock = new FakeClock();
    const config = circuitBreakerPolicy.schema.parse({ consecutiveFailures: 1 });
    const policy = circuitBreakerPolicy.create(config, {
      ...context(clock),
      upstream: true,
      route: 'discovered',
    });
    const gate = policy.gate!;
    const [a, b, c] = ['http://a:1', 'http://b:1', 'http://c:1'].map((origin) => ({ origin }) as Target) as [
      Target,
      Target,
      Target,
    ];
    const routeState = async () => {
      const family = await registry.getSingleMetric('proxy_route_circuit_state')?.get();
      return family?.values.find((value) => value.labels.route === 'discovered')?.value;
    };
    gate.track?.([a, b]);
    gate.release(a, gate.acquire(a) as number, upstreamAnswer(502));
    assert.equal(await routeState(), 0, 'b admits');
    gate.track?.([a]);
    assert.equal(await routeState(), 2, 'b is gone: no target admits');
    assert.equal(gate.rejection(fakeExchange())?.status, 503);
    gate.track?.([a, c]);
    assert.equal(await routeState(), 0, 'c is new, and closed');
    policy.dispose?.();
  });

  it('refuses a maxOpenFor shorter than openFor, naming both', () => {
    const result = circuitBreakerPolicy.schema.safeParse({ openFor: '30s', maxOpenFor: '10s' });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error?.issues.map((issue) => [issue.path.join('.'), issue.message]),
      [['maxOpenFor', 'must be at least openFor (30000 ms), not 10000 ms']],
    );
  });
});
