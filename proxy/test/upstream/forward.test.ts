// The balancer's end of the failure detector: an open target is never picked while another can take
// the attempt, and when none can, whenAllOpen decides between a 503 and panic mode (all targets).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@sre-stack/runtime';
import { type Dispatcher, errors } from 'undici';
import { type Target, UNBOUNDED } from '../../src/pipeline/types.ts';
import { circuitBreakerPolicy } from '../../src/policies/circuit-breaker/index.ts';
import { SharedState } from '../../src/state/state.ts';
import { TargetMetrics } from '../../src/telemetry/metrics.ts';
import { forward } from '../../src/upstream/forward.ts';
import { Group } from '../../src/upstream/group.ts';
import { fakeExchange } from '../helpers/exchange.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const logger = createLogger({ service: 'test', level: 'silent' });

/** Targets whose pools record where each attempt went (and refuse it before connecting). */
function targets(sent: string[]): Target[] {
  return ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'].map((origin) => ({
    origin,
    hostname: '127.0.0.1',
    port: Number(origin.slice(-1)),
    weight: 1,
    pool: {
      dispatch() {
        sent.push(origin);
        throw new errors.InvalidArgumentError('a stand-in pool');
      },
    } as unknown as Dispatcher,
    metrics: new TargetMetrics('fwd', origin),
    active: 0,
  }));
}

function setup(whenAllOpen: 'refuse' | 'forward') {
  const clock = new FakeClock();
  const sent: string[] = [];
  const list = targets(sent);
  const group = new Group({
    name: 'fwd',
    route: 'fwd',
    targets: list,
    strategy: 'round-robin',
    idleTimeoutMs: 1000,
    clock,
    logger,
  });
  const policy = circuitBreakerPolicy.create(
    circuitBreakerPolicy.schema.parse({ consecutiveFailures: 1, openFor: '10s', whenAllOpen }),
    {
      route: 'fwd',
      upstream: true,
      targets: list,
      clock,
      logger,
      workers: 1,
      shared: SharedState.create({ shared: false }),
      random: Math.random,
    },
  );
  const gate = policy.gate!;
  group.watchGates([gate]);
  const open = (target: Target) =>
    gate.release(target, gate.acquire(target) as number, {
      kind: 'failure',
      failure: 'reset',
      message: 'reset',
    });
  const send = () =>
    forward(fakeExchange({}, { name: 'fwd', upstream: group, gates: [gate] }, clock), UNBOUNDED);
  return { clock, sent, list, group, gate, open, send };
}

describe('forward: the balancer and the circuits', () => {
  it('never sends to an open target while another one admits the attempt', async () => {
    const { sent, list, open, send, group } = setup('refuse');
    open(list[1] as Target);
    for (let i = 0; i < 9; i++) await send();
    assert.ok(!sent.includes('http://127.0.0.1:2'), `${sent}`);
    assert.equal(sent.length, 9);
    assert.deepEqual(group.available(), list, 'health checks alone would have kept it');
    group.dispose();
  });

  it('whenAllOpen refuse: 503 with Retry-After, the upstream untouched', async () => {
    const { sent, list, open, send, group } = setup('refuse');
    for (const target of list) open(target);
    const outcome = await send();
    assert.equal(outcome.kind, 'local');
    assert.equal(outcome.kind === 'local' && outcome.status, 503);
    assert.equal(outcome.kind === 'local' && outcome.decidedBy, 'circuit_breaker');
    assert.deepEqual(sent, []);
    group.dispose();
  });

  it('whenAllOpen forward: balances over every target anyway (panic mode), and the circuits stay open', async () => {
    const { sent, list, open, send, group, gate } = setup('forward');
    for (const target of list) open(target);
    for (let i = 0; i < 6; i++) {
      const outcome = await send();
      assert.equal(outcome.kind === 'failure' && outcome.failure, 'invalid_request', 'sent, not refused');
    }
    assert.equal(new Set(sent).size, 3, `every target got some: ${sent}`);
    assert.ok(
      list.every((target) => gate.isOpen?.(target)),
      'no permit: the trials decide when they are back',
    );
    group.dispose();
  });
});
