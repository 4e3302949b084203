import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { context } from '@opentelemetry/api';
import { AlwaysOffSampler, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  Counter,
  currentExemplar,
  Gauge,
  gauge,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  latencyHistogram,
  methodLabel,
  observeSeconds,
  registry,
} from '../src/metrics.ts';

// The services get their context manager from the NodeSDK. Here a synchronous one is enough, because
// every observation below happens inside the span's callback, without awaiting.
const contextManager = new StackContextManager();
before(() => {
  context.setGlobalContextManager(contextManager.enable());
});
after(() => {
  context.disable();
});

const sampled = new TracerProvider().getTracer('metrics-test');
const unsampled = new TracerProvider({ sampler: new AlwaysOffSampler() }).getTracer('metrics-test');

/** The exposition lines of one metric family. */
async function linesOf(name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((line) => line.replace(/^# (HELP|TYPE) /, '').startsWith(name));
}

/** Splits `name{le="0.05",route="/x"} 1 # {trace_id="…"} 0.042 1700000000.123` into its parts. */
function parseBucket(line: string) {
  const match =
    /^(?<series>\S+\{[^}]*\}) (?<count>\d+)(?: # \{trace_id="(?<traceId>[0-9a-f]{32})"\} (?<value>[\d.e-]+) (?<timestamp>[\d.]+))?$/.exec(
      line,
    );
  assert.ok(match?.groups, `not a bucket line: ${line}`);
  return match.groups as {
    series: string;
    count: string;
    traceId?: string;
    value?: string;
    timestamp?: string;
  };
}

describe('registry', () => {
  test('renders OpenMetrics, the format that carries exemplars', async () => {
    assert.equal(registry.contentType, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    const text = await registry.metrics();
    assert.ok(text.endsWith('# EOF\n'), 'OpenMetrics ends with # EOF');
  });

  test('includes the default process and Node.js metrics', async () => {
    const text = await registry.metrics();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      assert.match(text, new RegExp(`^${name}(\\{| )`, 'm'), name);
    }
  });

  test('counters render with the _total suffix and a family name without it', async () => {
    const counter = new Counter({ name: 'metrics_test_events_total', help: 'events', registers: [registry] });
    counter.inc(3);
    assert.deepEqual(await linesOf('metrics_test_events'), [
      '# HELP metrics_test_events events',
      '# TYPE metrics_test_events counter',
      'metrics_test_events_total 3',
    ]);
  });
});

describe('gauge()', () => {
  test('registers a gauge in the process registry, with labels', async () => {
    const g = gauge('metrics_test_temperature_celsius', 'temperature', ['room']);
    assert.ok(g instanceof Gauge);
    g.set({ room: 'lab' }, 21.5);
    assert.ok(
      (await linesOf('metrics_test_temperature_celsius')).includes(
        'metrics_test_temperature_celsius{room="lab"} 21.5',
      ),
    );
  });
});

describe('latencyHistogram() and observeSeconds()', () => {
  test('buckets go from 1 ms to 10 s, ascending', () => {
    assert.equal(LATENCY_BUCKETS_SECONDS[0], 0.001);
    assert.equal(LATENCY_BUCKETS_SECONDS.at(-1), 10);
    assert.deepEqual(
      [...LATENCY_BUCKETS_SECONDS].sort((a, b) => a - b),
      LATENCY_BUCKETS_SECONDS,
    );
  });

  test('an observation inside a sampled span carries the trace id as the bucket exemplar', async () => {
    const histogram = latencyHistogram('metrics_test_sampled_seconds', 'latency', ['route']);
    const traceId = sampled.startActiveSpan('request', (span) => {
      observeSeconds(histogram, { route: '/items/:id' }, 0.042);
      span.end();
      return span.spanContext().traceId;
    });
    const buckets = (await linesOf('metrics_test_sampled_seconds_bucket')).map(parseBucket);
    const withExemplar = buckets.filter((bucket) => bucket.traceId);
    assert.equal(withExemplar.length, 1, 'exactly one bucket has the exemplar');
    const [bucket] = withExemplar;
    // 0.042 s lands in the 0.05 bucket; the exemplar keeps the exact value and when it was seen.
    assert.equal(bucket?.series, 'metrics_test_sampled_seconds_bucket{le="0.05",route="/items/:id"}');
    assert.equal(bucket?.traceId, traceId);
    assert.equal(bucket?.value, '0.042');
    assert.ok(Math.abs(Number(bucket?.timestamp) - Date.now() / 1000) < 600, 'timestamp in seconds, recent');
  });

  test('the newest sampled observation in a bucket replaces its exemplar', async () => {
    const histogram = latencyHistogram('metrics_test_newest_seconds', 'latency', ['route']);
    const observe = () =>
      sampled.startActiveSpan('request', (span) => {
        observeSeconds(histogram, { route: '/' }, 0.2);
        span.end();
        return span.spanContext().traceId;
      });
    observe();
    const newest = observe();
    const bucket = (await linesOf('metrics_test_newest_seconds_bucket'))
      .map(parseBucket)
      .find((each) => each.traceId);
    assert.equal(bucket?.traceId, newest);
    assert.equal(bucket?.count, '2');
  });

  test('outside any span the observation counts, without an exemplar', async () => {
    const histogram = latencyHistogram('metrics_test_untraced_seconds', 'latency', ['route']);
    observeSeconds(histogram, { route: '/' }, 0.3);
    const lines = await linesOf('metrics_test_untraced_seconds');
    assert.ok(lines.includes('metrics_test_untraced_seconds_count{route="/"} 1'));
    assert.ok(lines.includes('metrics_test_untraced_seconds_sum{route="/"} 0.3'));
    assert.ok(!lines.some((line) => line.includes('trace_id')));
  });

  test('inside a span that is not sampled there is no exemplar (it would link to nothing)', async () => {
    const histogram = latencyHistogram('metrics_test_unsampled_seconds', 'latency', ['route']);
    unsampled.startActiveSpan('request', (span) => {
      assert.equal(currentExemplar(), undefined);
      observeSeconds(histogram, { route: '/' }, 0.003);
      span.end();
    });
    const lines = await linesOf('metrics_test_unsampled_seconds');
    assert.ok(lines.includes('metrics_test_unsampled_seconds_count{route="/"} 1'));
    assert.ok(!lines.some((line) => line.includes('trace_id')));
  });

  test('explicit exemplar labels win over the current span', async () => {
    const histogram = latencyHistogram('metrics_test_explicit_seconds', 'latency', []);
    const traceId = 'ab'.repeat(16);
    observeSeconds(histogram, {}, 7, { trace_id: traceId });
    const bucket = (await linesOf('metrics_test_explicit_seconds_bucket'))
      .map(parseBucket)
      .find((each) => each.traceId);
    assert.equal(bucket?.series, 'metrics_test_explicit_seconds_bucket{le="10"}');
    assert.equal(bucket?.traceId, traceId);
  });

  test('observeSeconds also works with a histogram created without exemplars', async () => {
    const histogram = new Histogram({
      name: 'metrics_test_plain_seconds',
      help: 'plain',
      labelNames: ['route'],
      registers: [registry],
    });
    sampled.startActiveSpan('request', (span) => {
      observeSeconds(histogram, { route: '/' }, 0.5);
      span.end();
    });
    observeSeconds(histogram, { route: '/' }, 0.5);
    const lines = await linesOf('metrics_test_plain_seconds');
    assert.ok(lines.includes('metrics_test_plain_seconds_count{route="/"} 2'));
  });

  test('currentExemplar names the active sampled span', () => {
    assert.equal(currentExemplar(), undefined);
    sampled.startActiveSpan('request', (span) => {
      assert.deepEqual(currentExemplar(), { trace_id: span.spanContext().traceId });
      span.end();
    });
  });
});

describe('methodLabel()', () => {
  test('keeps the standard methods and folds anything else into _OTHER, so labels stay bounded', () => {
    assert.equal(methodLabel('GET'), 'GET');
    assert.equal(methodLabel('QUERY'), 'QUERY');
    assert.equal(methodLabel('BREW'), '_OTHER');
    assert.equal(methodLabel('get'), '_OTHER');
    assert.equal(methodLabel(undefined), '_OTHER');
  });
});
