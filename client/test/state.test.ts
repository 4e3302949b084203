import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateTracker } from '../src/reporters/state.ts';
import { percentile, RecentWindow } from '../src/reporters/window.ts';

describe('StateTracker', () => {
  it('goes down after N failures in a row and up after M successes', () => {
    const state = new StateTracker(3, 2);
    const transitions: string[] = [];
    const outcomes = [true, false, false, true, false, false, false, false, true, false, true, true, true];
    outcomes.forEach((success, index) => {
      const transition = state.record(success, index);
      if (transition) transitions.push(`${index}:${transition.from}->${transition.to}`);
    });
    assert.deepEqual(transitions, ['0:unknown->up', '6:up->down', '11:down->up']);
    assert.equal(state.consecutiveSuccesses, 3);
    assert.deepEqual(state.snapshot(), {
      status: 'up',
      since: new Date(11).toISOString(),
      consecutive_failures: 0,
      consecutive_successes: 3,
    });
  });

  it('starts unknown and can go down straight from there', () => {
    const state = new StateTracker(2, 1);
    assert.equal(state.record(false, 0), undefined);
    assert.deepEqual(state.record(false, 1), { from: 'unknown', to: 'down' });
    assert.deepEqual(state.record(true, 2), { from: 'down', to: 'up' });
  });
});

describe('RecentWindow', () => {
  it('summarises the last runs, bounded by count and age', () => {
    const window = new RecentWindow(4, 10_000);
    window.add(0, false, 500);
    for (let i = 1; i <= 4; i++) window.add(i * 1000, i !== 2, i * 10);
    // The first run fell out by count; now is 12 s, so the run at 1 s is older than 10 s.
    assert.deepEqual(window.summary(12_000), {
      runs: 3,
      max_runs: 4,
      max_age_seconds: 10,
      success_ratio: 0.6667,
      latency_p50_ms: 30,
      latency_p95_ms: 40,
    });
    assert.equal(new RecentWindow().summary(0).success_ratio, null);
  });

  it('uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(values, 0.5), 50);
    assert.equal(percentile(values, 0.95), 95);
    assert.equal(percentile([7], 0.95), 7);
    assert.equal(percentile([], 0.5), null);
  });
});
