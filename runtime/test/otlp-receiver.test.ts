import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { type OtlpReceiver, startOtlpReceiver } from '../testing/otlp-receiver.ts';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

let receiver: OtlpReceiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(() => receiver.close());
beforeEach(() => {
  receiver.spans.length = 0;
  receiver.logs.length = 0;
});

async function post(path: string, body: unknown, gzip = false): Promise<Response> {
  const json = Buffer.from(JSON.stringify(body));
  return fetch(`${receiver.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
    body: gzip ? gzipSync(json) : json,
  });
}

const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] };

function tracesPayload(ids: { traceId: string; spanId: string; parentSpanId?: string }) {
  return {
    resourceSpans: [
      {
        resource,
        scopeSpans: [
          {
            spans: [
              {
                ...ids,
                name: 'GET /items',
                kind: 2,
                attributes: [
                  { key: 'http.request.method', value: { stringValue: 'GET' } },
                  { key: 'http.response.status_code', value: { intValue: '503' } },
                  { key: 'ratio', value: { doubleValue: 0.5 } },
                  { key: 'retried', value: { boolValue: true } },
                  { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }] } } },
                  {
                    key: 'nested',
                    value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } },
                  },
                ],
                status: { code: 2, message: 'upstream failed' },
                events: [{ name: 'retry', attributes: [{ key: 'attempt', value: { intValue: '2' } }] }],
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('startOtlpReceiver', () => {
  test('decodes spans from OTLP JSON: ids, kind, service, typed attributes, status, events', async () => {
    const response = await post('/v1/traces', tracesPayload({ traceId: TRACE_ID, spanId: SPAN_ID }));
    assert.equal(response.status, 200);
    assert.deepEqual(receiver.spans, [
      {
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        parentSpanId: undefined,
        name: 'GET /items',
        kind: 2,
        service: 'svc',
        attributes: {
          'http.request.method': 'GET',
          'http.response.status_code': 503,
          ratio: 0.5,
          retried: true,
          tags: ['a', 2],
          nested: { k: 'v' },
        },
        status: { code: 2, message: 'upstream failed' },
        events: [{ name: 'retry', attributes: { attempt: 2 } }],
      },
    ]);
  });

  test('accepts base64 ids (older exporters) and gzip bodies', async () => {
    const base64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
    const payload = tracesPayload({
      traceId: base64(TRACE_ID),
      spanId: base64(SPAN_ID),
      parentSpanId: base64(SPAN_ID),
    });
    assert.equal((await post('/v1/traces', payload, true)).status, 200);
    assert.equal(receiver.spans[0]?.traceId, TRACE_ID);
    assert.equal(receiver.spans[0]?.parentSpanId, SPAN_ID);
  });

  test('decodes log records with their trace context', async () => {
    const payload = {
      resourceLogs: [
        {
          resource,
          scopeLogs: [
            {
              logRecords: [
                {
                  traceId: TRACE_ID,
                  spanId: SPAN_ID,
                  severityText: 'error',
                  body: { stringValue: 'upstream failed' },
                  attributes: [{ key: 'route', value: { stringValue: '/items' } }],
                },
                { severityText: 'info', body: { stringValue: 'no span' } },
              ],
            },
          ],
        },
      ],
    };
    assert.equal((await post('/v1/logs', payload)).status, 200);
    assert.deepEqual(receiver.logs, [
      {
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        service: 'svc',
        severityText: 'error',
        body: 'upstream failed',
        attributes: { route: '/items' },
      },
      {
        traceId: undefined,
        spanId: undefined,
        service: 'svc',
        severityText: 'info',
        body: 'no span',
        attributes: {},
      },
    ]);
  });

  test('an undecodable body is a 400 that says why, and the receiver keeps working', async () => {
    const response = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', body: 'not json' });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /^cannot decode: /);
    assert.equal(
      (await post('/v1/traces', tracesPayload({ traceId: TRACE_ID, spanId: SPAN_ID }))).status,
      200,
    );
  });

  test('waitForSpans resolves once the predicate holds; rejects after its timeout', async () => {
    const waiting = receiver.waitForSpans((spans) => spans.some((span) => span.name === 'GET /items'), 5000);
    await post('/v1/traces', tracesPayload({ traceId: TRACE_ID, spanId: SPAN_ID }));
    assert.equal((await waiting).length, 1);
    await assert.rejects(
      receiver.waitForLogs(() => false, 100),
      /condition not met within 100 ms \(0 received\)/,
    );
  });

  test('receives what the real OTLP/HTTP exporter sends', async () => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'exporter-test' }),
      spanProcessors: [
        new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }) }),
      ],
    });
    const tracer = provider.getTracer('otlp-receiver-test');
    const parent = tracer.startSpan('parent');
    parent.setAttribute('answer', 42);
    parent.end();
    await provider.forceFlush();
    await provider.shutdown();
    const [span] = await receiver.waitForSpans((spans) => spans.length > 0);
    assert.equal(span?.name, 'parent');
    assert.equal(span?.service, 'exporter-test');
    assert.equal(span?.traceId, parent.spanContext().traceId);
    assert.equal(span?.spanId, parent.spanContext().spanId);
    assert.equal(span?.attributes.answer, 42);
  });
});
