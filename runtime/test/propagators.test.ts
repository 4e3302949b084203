import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type TextMapPropagator,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { propagatorFromEnv, SUPPORTED_PROPAGATORS } from '../src/telemetry/propagators.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

/** A context with a sampled remote span and one baggage entry, as an incoming request would have. */
function sampleContext(): Context {
  const withSpan = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
  });
  return propagation.setBaggage(withSpan, propagation.createBaggage({ tenant: { value: 'acme' } }));
}

function build(value: string): TextMapPropagator {
  const { propagator, unknown } = propagatorFromEnv(value);
  assert.deepEqual(unknown, []);
  assert.ok(propagator, `no propagator for ${value}`);
  return propagator;
}

function inject(propagator: TextMapPropagator, context = sampleContext()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagator.inject(context, carrier, defaultTextMapSetter);
  return carrier;
}

function extract(propagator: TextMapPropagator, headers: Record<string, string>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}

describe('propagatorFromEnv: parsing OTEL_PROPAGATORS', () => {
  test('supports the names the architecture promises', () => {
    assert.deepEqual([...SUPPORTED_PROPAGATORS].sort(), [
      'b3',
      'b3multi',
      'baggage',
      'jaeger',
      'tracecontext',
    ]);
  });

  test('unset or empty means tracecontext,baggage (the spec default)', () => {
    for (const value of [undefined, '']) {
      const { propagator, unknown } = propagatorFromEnv(value);
      assert.deepEqual(unknown, []);
      assert.deepEqual(propagator?.fields().sort(), ['baggage', 'traceparent', 'tracestate']);
    }
  });

  test('reads process.env.OTEL_PROPAGATORS by default', () => {
    const saved = process.env.OTEL_PROPAGATORS;
    process.env.OTEL_PROPAGATORS = 'jaeger';
    try {
      assert.deepEqual(propagatorFromEnv().propagator?.fields(), ['uber-trace-id']);
    } finally {
      if (saved === undefined) delete process.env.OTEL_PROPAGATORS;
      else process.env.OTEL_PROPAGATORS = saved;
    }
  });

  test('names are trimmed, case-insensitive, and duplicates count once', () => {
    const propagator = build(' TraceContext , b3,tracecontext,, ');
    assert.deepEqual(propagator.fields().sort(), ['b3', 'traceparent', 'tracestate']);
  });

  test('"none" turns propagation off, even beside other names', () => {
    assert.deepEqual(propagatorFromEnv('none'), { propagator: null, unknown: [] });
    assert.deepEqual(propagatorFromEnv('tracecontext, NONE'), { propagator: null, unknown: [] });
  });

  test('unknown names are reported and skipped; the known ones still work', () => {
    const { propagator, unknown } = propagatorFromEnv('xray,tracecontext,ottrace');
    assert.deepEqual(unknown, ['xray', 'ottrace']);
    assert.deepEqual(propagator?.fields().sort(), ['traceparent', 'tracestate']);
  });

  test('only unknown names leave a propagator that does nothing', () => {
    const { propagator, unknown } = propagatorFromEnv('xray');
    assert.deepEqual(unknown, ['xray']);
    assert.ok(propagator);
    assert.deepEqual(inject(propagator), {});
  });
});

describe('each propagator: what goes on the wire, and the round trip back', () => {
  test('tracecontext,baggage writes traceparent and baggage', () => {
    const headers = inject(build('tracecontext,baggage'));
    assert.deepEqual(headers, { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, baggage: 'tenant=acme' });
  });

  test('b3 writes the single b3 header and no traceparent', () => {
    const headers = inject(build('b3'));
    assert.deepEqual(headers, { b3: `${TRACE_ID}-${SPAN_ID}-1` });
  });

  test('b3multi writes the X-B3-* headers', () => {
    const headers = inject(build('b3multi'));
    assert.deepEqual(headers, { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '1' });
  });

  test('jaeger writes uber-trace-id', () => {
    assert.deepEqual(inject(build('jaeger')), { 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:1` });
  });

  for (const name of ['tracecontext', 'b3', 'b3multi', 'jaeger', 'tracecontext,baggage,b3,jaeger']) {
    test(`round trip through ${name}: the extracted parent is the injected span`, () => {
      const propagator = build(name);
      const spanContext = trace.getSpanContext(extract(propagator, inject(propagator)));
      assert.equal(spanContext?.traceId, TRACE_ID);
      assert.equal(spanContext?.spanId, SPAN_ID);
      assert.equal(spanContext?.traceFlags, TraceFlags.SAMPLED);
      assert.equal(spanContext?.isRemote, true);
    });
  }

  test('baggage round trip', () => {
    const propagator = build('tracecontext,baggage');
    const baggage = propagation.getBaggage(extract(propagator, inject(propagator)));
    assert.equal(baggage?.getEntry('tenant')?.value, 'acme');
  });

  test('a composite extracts whichever format arrives (b3 sender, tracecontext,b3 receiver)', () => {
    const sent = inject(build('b3'));
    const spanContext = trace.getSpanContext(extract(build('tracecontext,b3'), sent));
    assert.equal(spanContext?.traceId, TRACE_ID);
  });

  test('nothing is injected without a span', () => {
    assert.deepEqual(inject(build('tracecontext,b3,b3multi,jaeger'), ROOT_CONTEXT), {});
  });
});

describe('malformed incoming headers are ignored, never thrown', () => {
  const garbage: Record<string, Record<string, string>> = {
    tracecontext: { traceparent: '00-not-a-trace-01' },
    b3: { b3: 'zzz-yyy-1' },
    b3multi: { 'x-b3-traceid': 'nothex', 'x-b3-spanid': '123' },
    jaeger: { 'uber-trace-id': '%E0%A4%A' },
  };
  for (const [name, headers] of Object.entries(garbage)) {
    test(name, () => {
      const context = extract(build(name), headers);
      assert.equal(trace.getSpanContext(context), undefined);
    });
  }

  test('all of them at once through one composite', () => {
    const all = Object.assign({}, ...Object.values(garbage));
    const context = extract(build('tracecontext,baggage,b3,b3multi,jaeger'), all);
    assert.equal(trace.getSpanContext(context), undefined);
  });

  test('a valid header still wins beside garbage in other formats', () => {
    const headers = { ...garbage.jaeger, ...garbage.b3, traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` };
    const context = extract(build('jaeger,b3,tracecontext'), headers);
    assert.equal(trace.getSpanContext(context)?.traceId, TRACE_ID);
  });
});
