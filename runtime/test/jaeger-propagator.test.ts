import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type SpanContext,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { JAEGER_HEADER, JaegerPropagator } from '../src/telemetry/jaeger-propagator.ts';

const propagator = new JaegerPropagator();
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

function contextWith(spanContext: SpanContext): Context {
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

function inject(context: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagator.inject(context, carrier, defaultTextMapSetter);
  return carrier;
}

function extract(headers: Record<string, string | string[]>): SpanContext | undefined {
  return trace.getSpanContext(propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
}

describe('JaegerPropagator.inject', () => {
  test('writes trace:span:0:flags for a sampled span', () => {
    const headers = inject(
      contextWith({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED }),
    );
    assert.deepEqual(headers, { 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:1` });
  });

  test('flags are 0 for a span that is not sampled', () => {
    const headers = inject(contextWith({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.NONE }));
    assert.equal(headers[JAEGER_HEADER], `${TRACE_ID}:${SPAN_ID}:0:0`);
  });

  test('writes nothing without a valid span context', () => {
    assert.deepEqual(inject(ROOT_CONTEXT), {});
    const invalid = { traceId: '0'.repeat(32), spanId: SPAN_ID, traceFlags: 1 };
    assert.deepEqual(inject(contextWith(invalid)), {});
  });

  test('fields() names the one header it uses', () => {
    assert.deepEqual(propagator.fields(), ['uber-trace-id']);
  });
});

describe('JaegerPropagator.extract', () => {
  test('round trip: what inject writes, extract reads back as a remote parent', () => {
    const original = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED };
    assert.deepEqual(extract(inject(contextWith(original))), { ...original, isRemote: true });
  });

  test('pads ids that Jaeger clients write without leading zeros (64-bit trace ids too)', () => {
    assert.deepEqual(extract({ 'uber-trace-id': 'abc:de:0:1' }), {
      traceId: `${'0'.repeat(29)}abc`,
      spanId: `${'0'.repeat(14)}de`,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
  });

  test('reads the sampled bit out of the flags (3 = sampled + debug; 2 = debug only)', () => {
    assert.equal(extract({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:3` })?.traceFlags, TraceFlags.SAMPLED);
    assert.equal(extract({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:2` })?.traceFlags, TraceFlags.NONE);
    assert.equal(extract({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:0` })?.traceFlags, TraceFlags.NONE);
  });

  test('accepts a URL-encoded header (some clients encode the colons)', () => {
    const context = extract({ 'uber-trace-id': `${TRACE_ID}%3A${SPAN_ID}%3A0%3A1` });
    assert.equal(context?.traceId, TRACE_ID);
    assert.equal(context?.spanId, SPAN_ID);
  });

  test('takes the first value of a repeated header', () => {
    const context = extract({ 'uber-trace-id': [`${TRACE_ID}:${SPAN_ID}:0:1`, 'garbage'] });
    assert.equal(context?.traceId, TRACE_ID);
  });

  test('ignores malformed headers and leaves the context as it was', () => {
    const malformed = [
      '',
      'garbage',
      `${TRACE_ID}:${SPAN_ID}`,
      `${TRACE_ID}:${SPAN_ID}:0`,
      `:${SPAN_ID}:0:1`,
      `${TRACE_ID}::0:1`,
      `${TRACE_ID}:${SPAN_ID}x:0:1`,
      `${TRACE_ID}0:${SPAN_ID}:0:1`, // 33 hex digits
      `${TRACE_ID}:${SPAN_ID}0:0:1`, // 17 hex digits
      `${TRACE_ID.toUpperCase().replace(/[0-9]/g, 'G')}:${SPAN_ID}:0:1`,
      `${'0'.repeat(32)}:${SPAN_ID}:0:1`, // all-zero trace id is invalid
      `${TRACE_ID}:${'0'.repeat(16)}:0:1`, // all-zero span id is invalid
      '%E0%A4%A', // broken percent-encoding must not throw
    ];
    for (const value of malformed) {
      assert.equal(extract({ 'uber-trace-id': value }), undefined, JSON.stringify(value));
    }
    assert.equal(extract({}), undefined);
  });

  test('a malformed header keeps a span context already in the context', () => {
    const existing = contextWith({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
    const result = propagator.extract(existing, { 'uber-trace-id': 'garbage' }, defaultTextMapGetter);
    assert.equal(result, existing);
  });
});
