// The hand-made SERVER span: it continues the caller's trace, names its ids for log lines and
// exemplars, and only records when spans leave the process.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, afterEach, describe, test } from 'node:test';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  endServerSpan,
  exemplarOf,
  isValidSpanContext,
  sampledTraceId,
  startServerSpan,
  traceFields,
  unrecordedSpan,
} from '../src/telemetry/server-span.ts';
import { setActiveTelemetry, type TelemetryState } from '../src/telemetry/state.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

function request(headers: Record<string, string> = {}): IncomingMessage {
  return {
    method: 'GET',
    httpVersion: '1.1',
    headers,
    socket: { localPort: 8080, remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
}

const state = (tracesExported: boolean): TelemetryState => ({
  tracesExported,
  logsExported: false,
  shutdown: async () => {},
});

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(provider);
after(() => {
  propagation.disable();
  trace.disable();
});
afterEach(() => exporter.reset());

describe('unrecordedSpan', () => {
  test('a child of a made-up span stays in its trace, with its flags, and has a span id of its own', () => {
    const parent = unrecordedSpan(undefined).spanContext();
    assert.match(parent.traceId, /^(?!0{32})[0-9a-f]{32}$/);
    assert.match(parent.spanId, /^(?!0{16})[0-9a-f]{16}$/);
    assert.equal(parent.traceFlags, 1);
    assert.ok(isValidSpanContext(parent));
    const child = unrecordedSpan(parent).spanContext();
    assert.equal(child.traceId, parent.traceId);
    assert.notEqual(child.spanId, parent.spanId);
    assert.equal(child.traceFlags, 1);
  });

  test('a context from elsewhere is still checked: an invalid one starts a new trace', () => {
    const invalid = { traceId: 'not-hex', spanId: PARENT_ID, traceFlags: 1 };
    assert.equal(isValidSpanContext(invalid), false);
    assert.notEqual(unrecordedSpan(invalid).spanContext().traceId, 'not-hex');
    const caller = { traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: 0, isRemote: true };
    assert.ok(isValidSpanContext(caller));
    const child = unrecordedSpan(caller).spanContext();
    assert.equal(child.traceId, TRACE_ID);
    assert.equal(child.traceFlags, 0);
  });
});

describe('startServerSpan', () => {
  test('spans not exported: the caller trace continues with a new span id, and nothing is recorded', () => {
    setActiveTelemetry(state(false));
    const { span } = startServerSpan(
      request({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` }),
      '/status',
      '/status',
    );
    const fields = traceFields(span);
    assert.equal(fields.trace_id, TRACE_ID);
    assert.match(fields.span_id ?? '', /^(?!0{16})[0-9a-f]{16}$/);
    assert.notEqual(fields.span_id, PARENT_ID);
    assert.equal(fields.trace_flags, '01');
    assert.equal(sampledTraceId(span), TRACE_ID);
    assert.deepEqual(exemplarOf(span), { trace_id: TRACE_ID });
    endServerSpan(span, 200, true);
    assert.deepEqual(exporter.getFinishedSpans(), []);
  });

  test('without a caller, a new sampled trace', () => {
    setActiveTelemetry(state(false));
    const { span } = startServerSpan(request(), undefined, '/nope');
    assert.match(traceFields(span).trace_id ?? '', /^(?!0{32})[0-9a-f]{32}$/);
    assert.equal(traceFields(span).trace_flags, '01');
  });

  test('an unsampled caller: ids flow, marked unsampled, and no exemplar points at the trace', () => {
    setActiveTelemetry(state(false));
    const { span } = startServerSpan(
      request({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` }),
      '/status',
      '/status',
    );
    assert.equal(traceFields(span).trace_flags, '00');
    assert.equal(sampledTraceId(span), undefined);
    assert.equal(exemplarOf(span), undefined);
  });

  test('spans exported: a recorded SERVER span, child of the caller, named by route, with status', async () => {
    setActiveTelemetry(state(true));
    const { span, context } = startServerSpan(
      request({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` }),
      '/status/{code}',
      '/status/503',
    );
    assert.equal(trace.getSpan(context), span, 'the returned context holds the span');
    endServerSpan(span, 503, true);
    await provider.forceFlush();
    const [finished] = exporter.getFinishedSpans();
    assert.equal(finished?.name, 'GET /status/{code}');
    assert.equal(finished?.spanContext().traceId, TRACE_ID);
    assert.equal(finished?.parentSpanContext?.spanId, PARENT_ID);
    assert.equal(finished?.attributes['http.route'], '/status/{code}');
    assert.equal(finished?.attributes['url.path'], '/status/503');
    assert.equal(finished?.attributes['http.response.status_code'], 503);
    assert.equal(finished?.attributes['error.type'], '503');
  });
});
