import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Latency, sampleLatencyMs, summarizeLatency } from '../../src/latency.ts';
import { clamp, exponential, pickWeighted, standardNormal } from '../../src/random.ts';
import { scriptedRandom, seededRandom } from '../scripted-random.ts';

describe('pickWeighted', () => {
  const items = [
    { value: 'a', weight: 1 },
    { value: 'b', weight: 0 },
    { value: 'c', weight: 3 },
  ];

  it('maps the draw onto cumulative weights and skips zero weights', () => {
    assert.equal(pickWeighted(items, scriptedRandom([0])), 'a');
    assert.equal(pickWeighted(items, scriptedRandom([0.2499])), 'a');
    assert.equal(pickWeighted(items, scriptedRandom([0.25])), 'c');
    assert.equal(pickWeighted(items, scriptedRandom([0.9999999999])), 'c');
  });

  it('gives each item its share over many draws', () => {
    const random = seededRandom(7);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 20_000; i++) counts[pickWeighted(items, random)]!++;
    assert.equal(counts.b, 0);
    const shareOfA = (counts.a ?? 0) / 20_000;
    assert.ok(shareOfA > 0.22 && shareOfA < 0.28, `a drawn ${shareOfA}`);
  });

  it('refuses a list without any positive weight', () => {
    assert.throws(
      () => pickWeighted([{ value: 1, weight: 0 }], scriptedRandom([0.5])),
      /no item has a positive weight/,
    );
  });
});

describe('distributions', () => {
  it('standardNormal is finite even for a draw of 0', () => {
    assert.ok(Number.isFinite(standardNormal(scriptedRandom([0, 0]))));
    assert.equal(standardNormal(scriptedRandom([1 - Math.exp(-0.5), 0])), 1);
  });

  it('exponential inverts the CDF', () => {
    assert.equal(exponential(100, scriptedRandom([0])), 0);
    assert.ok(Math.abs(exponential(100, scriptedRandom([1 - Math.exp(-1)])) - 100) < 1e-9);
  });

  it('clamp', () => {
    assert.equal(clamp(-1, 0, 5), 0);
    assert.equal(clamp(9, 0, 5), 5);
    assert.equal(clamp(3, 0, 5), 3);
  });
});

describe('sampleLatencyMs', () => {
  it('fixed returns the delay without drawing', () => {
    const random = scriptedRandom([]);
    assert.equal(sampleLatencyMs({ distribution: 'fixed', delay: 250 }, random), 250);
  });

  it('uniform maps [0, 1) onto [min, max)', () => {
    const latency: Latency = { distribution: 'uniform', min: 100, max: 300 };
    assert.equal(sampleLatencyMs(latency, scriptedRandom([0])), 100);
    assert.equal(sampleLatencyMs(latency, scriptedRandom([0.5])), 200);
    assert.ok(sampleLatencyMs(latency, scriptedRandom([0.999999])) < 300);
  });

  it('normal and exponential draws stay within their clamps', () => {
    const latencies: Latency[] = [
      { distribution: 'normal', mean: 200, stddev: 500, min: 50, max: 400 },
      { distribution: 'exponential', mean: 300, min: 20, max: 600 },
      { distribution: 'uniform', min: 0, max: 500 },
    ];
    const random = seededRandom(42);
    for (const latency of latencies) {
      const { minMs, maxMs } = summarizeLatency(latency);
      let hitMin = false;
      let hitMax = false;
      for (let i = 0; i < 5000; i++) {
        const ms = sampleLatencyMs(latency, random);
        assert.ok(ms >= minMs && ms <= maxMs, `${latency.distribution} drew ${ms}`);
        hitMin ||= ms === minMs;
        hitMax ||= ms === maxMs;
      }
      if (latency.distribution !== 'uniform')
        assert.ok(hitMin && hitMax, `${latency.distribution} clamps both ends`);
    }
  });

  it('normal draws centre on the mean', () => {
    const random = seededRandom(3);
    const latency: Latency = { distribution: 'normal', mean: 200, stddev: 20, min: 0, max: 60_000 };
    let sum = 0;
    for (let i = 0; i < 5000; i++) sum += sampleLatencyMs(latency, random);
    assert.ok(Math.abs(sum / 5000 - 200) < 5, `mean ${sum / 5000}`);
  });
});

describe('summarizeLatency', () => {
  it('reports bounds and the configured mean', () => {
    assert.deepEqual(summarizeLatency({ distribution: 'fixed', delay: 7 }), {
      minMs: 7,
      maxMs: 7,
      meanMs: 7,
    });
    assert.deepEqual(summarizeLatency({ distribution: 'uniform', min: 0, max: 500 }), {
      minMs: 0,
      maxMs: 500,
      meanMs: 250,
    });
    assert.deepEqual(summarizeLatency({ distribution: 'exponential', mean: 80, min: 10, max: 900 }), {
      minMs: 10,
      maxMs: 900,
      meanMs: 80,
    });
  });
});
