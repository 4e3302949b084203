import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, registry } from '@sre-stack/runtime';
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

describe('health without checks', () => {
  it('has every target up, and balances over all of them', () => {
    const health = new GroupHealth('r', {}, new FakeClock(), logger);
    const a = target('http://a');
    health.track([a]);
    assert.equal(health.enabled, false);
    assert.equal(health.isUp(a), true);
    assert.deepEqual(health.available([a]), [a]);
  });

  it('reports target_up 0 for a target whose circuit is open, 1 otherwise', async () => {
    const health = new GroupHealth('up-test', {}, new FakeClock(), logger);
    const a = target('http://a');
    const b = target('http://b');
    health.track([a, b]);
    health.watchCircuits((candidate) => candidate === a);
    const family = await registry.getSingleMetric('proxy_upstream_target_up')?.get();
    const up = Object.fromEntries(
      (family?.values ?? [])
        .filter((value) => value.labels.route === 'up-test')
        .map((value) => [value.labels.target, value.value]),
    );
    assert.deepEqual(up, { 'http://a': 0, 'http://b': 1 });
    assert.deepEqual(health.available([a, b]), [a, b], 'the breaker, not the health, skips a');
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
