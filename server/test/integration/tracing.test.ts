// A request carrying traceparent gets a server span in that trace (with http.route), and the log lines
// written while serving it carry the same trace id.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type OtlpReceiver, startOtlpReceiver } from '@sre-stack/runtime/testing';
import { send } from '../http-client.ts';
import { accessLogLine, type RunningServer, startServer } from './server-process.ts';

const SPAN_KIND_SERVER = 2;

function traceparent() {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  return { traceId, parentSpanId, header: `00-${traceId}-${parentSpanId}-01` };
}

describe('flaky-server bin: traces and trace ids in logs', () => {
  let receiver: OtlpReceiver;
  let server: RunningServer;

  before(async () => {
    receiver = await startOtlpReceiver();
    server = await startServer({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' },
    });
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it("GET /status continues the caller's trace with a server span named by its route", async () => {
    const parent = traceparent();
    const answer = await send(server.base, '/status?probe=1', { headers: { traceparent: parent.header } });
    assert.equal(answer.status, 200);
    const spans = await receiver.waitForSpans(
      (all) => all.some((span) => span.traceId === parent.traceId),
      15_000,
    );
    const span = spans.find((candidate) => candidate.traceId === parent.traceId);
    assert.ok(span);
    assert.equal(span.parentSpanId, parent.parentSpanId);
    assert.equal(span.kind, SPAN_KIND_SERVER);
    assert.equal(span.service, 'flaky-server');
    assert.equal(span.name, 'GET /status');
    assert.equal(span.attributes['http.route'], '/status');
    assert.equal(span.attributes['http.request.method'], 'GET');
    assert.equal(span.attributes['http.response.status_code'], 200);

    const log = await accessLogLine(server, (line) => line.trace_id === parent.traceId);
    assert.equal(log.route, '/status');
    assert.equal(log.path, '/status');
    assert.equal(log.span_id, span.spanId);
  });

  it('POST /status/{code} has the template as route, and its state-change log line the trace id', async () => {
    const parent = traceparent();
    const answer = await send(server.base, '/status/502', {
      method: 'POST',
      headers: { traceparent: parent.header },
    });
    assert.equal(answer.status, 202);
    const spans = await receiver.waitForSpans(
      (all) => all.some((span) => span.traceId === parent.traceId),
      15_000,
    );
    const span = spans.find((candidate) => candidate.traceId === parent.traceId);
    assert.equal(span?.attributes['http.route'], '/status/{code}');
    assert.equal(span?.name, 'POST /status/{code}');
    assert.equal(span?.parentSpanId, parent.parentSpanId);
    const change = await server.process.waitForLine(
      (line) => line.msg === 'chaos state changed' && line.trace_id === parent.traceId,
    );
    assert.equal(change.change, 'status_code');
    assert.equal(change.status_code, 502);
    const log = await accessLogLine(server, (line) => line.trace_id === parent.traceId);
    assert.equal(log.status, 202);
    assert.equal(log.route, '/status/{code}');
  });

  it('an unknown path gets a span without a route and logs route "unmatched"', async () => {
    const parent = traceparent();
    await send(server.base, '/no/such/thing', { headers: { traceparent: parent.header } });
    const spans = await receiver.waitForSpans(
      (all) => all.some((span) => span.traceId === parent.traceId),
      15_000,
    );
    const span = spans.find((candidate) => candidate.traceId === parent.traceId);
    assert.equal(span?.attributes['http.route'], undefined);
    assert.equal(span?.attributes['http.response.status_code'], 404);
    const log = await accessLogLine(server, (line) => line.trace_id === parent.traceId);
    assert.equal(log.route, 'unmatched');
  });
});
