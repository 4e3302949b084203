import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@sre-stack/runtime';
import type { Target } from '../../src/pipeline/types.ts';
import { GroupHealth } from '../../src/upstream/health.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const logger = createLogger({ service: 'test', level: 'silent' });

/** A target whose health-check answers come from `answers` (a status, or an Error for no answer). */
function target(origin: string, answers: (number | Error)[] = []): Target {
  const pool = {
    async request() {
      const next = answers.length > 1 ? answers.shift() : answers[0];
      if (next === undefined || next instanceof Error) throw next ?? new Error('no answer');
      return { statusCode: next, body: { dump: async () => {} } };
    },
  };
  return {
    origin,
    hostname: '127.0.0.1',
    port: 1,
    weight: 1,
    pool,
    metrics: {},
    active: 0,
  } as unknown as Target;
}

const passive = { consecutiveFailures: 3, baseEjectionMs: 10_000, maxEjectionMs: 25_000 };

describe('passive health: outlier ejection', () => {
  it('ejects a target after N consecutive failures, for a period that grows with each ejection', () => {
    const clock = new FakeClock();
    const a = target('http://a');
    const b = target('http://b');
    const health = new GroupHealth('r', { passive }, clock, logger);
    health.track([a, b]);
    const fail = (times: number) => {
      for (let i = 0; i < times; i++) health.report(a, false);
    };
    fail(2);
    health.report(a, true);
    fail(2);
    assert.deepEqual(health.available([a, b]), [a, b], 'a success resets the count');
    fail(1);
    assert.deepEqual(health.available([a, b]), [b], 'ejected');
    clock.advance(9_999);
    assert.deepEqual(health.available([a, b]), [b]);
    clock.advance(1);
    assert.deepEqual(health.available([a, b]), [a, b], 'back after the first period (10 s)');
    fail(3);
    clock.advance(19_999);
    assert.deepEqual(health.available([a, b]), [b], 'the second ejection lasts 20 s');
    clock.advance(1);
    fail(3);
    clock.advance(24_999);
    assert.deepEqual(health.available([a, b]), [b], 'the third is capped at maxEjection (25 s)');
    clock.advance(1);
    assert.deepEqual(health.available([a, b]), [a, b]);
  });

  it('balances over every target when all are ejected (panic mode), and ignores verdict-less outcomes', () => {
    const clock = new FakeClock();
    const a = target('http://a');
    const health = new GroupHealth('r', { passive: { ...passive, consecutiveFailures: 1 } }, clock, logger);
    health.track([a]);
    health.report(a, null);
    assert.equal(health.isUp(a), true);
    health.report(a, false);
    assert.equal(health.isUp(a), false);
    assert.deepEqual(health.available([a]), [a]);
  });

  it('does nothing when not configured', () => {
    const health = new GroupHealth('r', {}, new FakeClock(), logger);
    const a = target('http://a');
    health.track([a]);
    for (let i = 0; i < 10; i++) health.report(a, false);
    assert.equal(health.enabled, false);
    assert.deepEqual(health.available([a]), [a]);
  });
});

describe('active health checks', () => {
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('takes a target out after unhealthyThreshold failed checks and back after healthyThreshold passes', async () => {
    const clock = new FakeClock();
    const answers: (number | Error)[] = [200, 500, new Error('refused'), 503, 200, 204];
    const a = target('http://a', answers);
    const b = target('http://b', [200]);
    const active = {
      path: '/healthz',
      intervalMs: 1000,
      timeoutMs: 500,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    };
    const health = new GroupHealth('r', { active }, clock, logger);
    health.track([a, b]);
    health.start();
    const states: boolean[] = [];
    for (let tick = 0; tick < 6; tick++) {
      clock.advance(tick === 0 ? 0 : 1000);
      await settle();
      states.push(health.isUp(a));
    }
    assert.deepEqual(states, [true, true, true, false, false, true]);
    assert.equal(health.isUp(b), true);
    health.dispose();
    assert.equal(clock.pending, 0, 'no check scheduled after dispose');
  });
});
