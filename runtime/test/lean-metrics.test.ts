// Lean families render through the runtime registry as prom-client's would: cumulative buckets, sum,
// count, and a sampled trace's id as the exemplar of the bucket its observation fell in.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LeanCounter, LeanHistogram } from '../src/lean-metrics.ts';
import { registry } from '../src/metrics.ts';
import { renderMetrics } from '../src/metrics-text.ts';

const TRACE = 'a'.repeat(32);

describe('lean metrics', () => {
  test('a histogram: cumulative buckets, +Inf, sum and count per label set, exemplars per bucket', async () => {
    const histogram = new LeanHistogram(
      'lean_test_seconds',
      'A test histogram.',
      ['route', 'code'],
      [0.1, 1],
    );
    const ok = histogram.child('/a', '200');
    assert.equal(histogram.child('/a', '200'), ok, 'one child per label set');
    ok.observe(0.05);
    ok.observe(0.5, TRACE);
    ok.observe(2);
    histogram.child('/b', '500').observe(0.1);
    const text = await renderMetrics(registry);
    const lines = text.split('\n').filter((line) => line.startsWith('lean_test_seconds'));
    assert.deepEqual(
      lines.map((line) => line.replace(/ # \{trace_id="a+"\} 0.5 [\d.]+$/, ' # exemplar')),
      [
        'lean_test_seconds_bucket{route="/a",code="200",le="0.1"} 1',
        'lean_test_seconds_bucket{route="/a",code="200",le="1"} 2 # exemplar',
        'lean_test_seconds_bucket{route="/a",code="200",le="+Inf"} 3',
        'lean_test_seconds_sum{route="/a",code="200"} 2.55',
        'lean_test_seconds_count{route="/a",code="200"} 3',
        'lean_test_seconds_bucket{route="/b",code="500",le="0.1"} 1',
        'lean_test_seconds_bucket{route="/b",code="500",le="1"} 1',
        'lean_test_seconds_bucket{route="/b",code="500",le="+Inf"} 1',
        'lean_test_seconds_sum{route="/b",code="500"} 0.1',
        'lean_test_seconds_count{route="/b",code="500"} 1',
      ],
    );
    registry.removeSingleMetric('lean_test_seconds');
  });

  test('removeMatching drops the series of a label value, and only those', async () => {
    const counter = new LeanCounter('lean_test_total', 'A test counter.', ['route']);
    counter.child('/gone').inc();
    counter.child('/kept').inc(2);
    counter.removeMatching({ route: '/gone' });
    const text = await renderMetrics(registry);
    assert.match(text, /^lean_test_total\{route="\/kept"\} 2$/m);
    assert.doesNotMatch(text, /\/gone/);
    registry.removeSingleMetric('lean_test_total');
  });
});
