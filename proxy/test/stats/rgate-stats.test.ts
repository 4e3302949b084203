import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyRecorder } from '../../src/stats/latency-recorder.ts';
import { RgateStats } from '../../src/stats/rgate-stats.ts';

describe('rgate /stats body', () => {
  it('is exactly the shape its spec shows, with zeros before any traffic', () => {
    assert.equal(
      JSON.stringify(new RgateStats().body()),
      '{"requests_count":{"success":0,"error":0},"latency_ms":{"average":0,"p95":0,"p99":0}}',
    );
  });

  it('counts 200–399 as success, 400 and above as error, and ignores 1xx', () => {
    const stats = new RgateStats();
    for (const status of [200, 204, 301, 399, 400, 403, 404, 499, 500, 503, 100, 101])
      stats.record(status, 1);
    assert.deepEqual(stats.body().requests_count, { success: 4, error: 6 });
  });

  it('reports latency in whole milliseconds: average, p95 and p99 by nearest rank', () => {
    const stats = new RgateStats();
    for (let ms = 1; ms <= 100; ms++) stats.record(200, ms - 0.4);
    assert.deepEqual(stats.body().latency_ms, { average: 51, p95: 95, p99: 99 });
  });
});

describe('latency recorder', () => {
  it('keeps exact percentiles in the exact range and 1 % precision beyond it', () => {
    const recorder = new LatencyRecorder();
    for (let i = 0; i < 98; i++) recorder.record(5);
    recorder.record(20_000);
    recorder.record(60_000);
    assert.equal(recorder.percentile(50), 5);
    assert.equal(recorder.percentile(98), 5);
    const p99 = recorder.percentile(99);
    assert.ok(p99 >= 20_000 && p99 <= 20_000 * 1.011, `p99 ${p99}`);
    const p100 = recorder.percentile(100);
    assert.ok(p100 >= 60_000 && p100 <= 60_000 * 1.011, `max ${p100}`);
    assert.equal(recorder.summary().average, Math.round((98 * 5 + 80_000) / 100));
  });

  it('rounds to whole milliseconds and never goes below zero', () => {
    const recorder = new LatencyRecorder();
    recorder.record(-3);
    recorder.record(0.4);
    recorder.record(0.6);
    assert.deepEqual(recorder.summary(), { count: 3, average: 0, p95: 1, p99: 1 });
  });
});
