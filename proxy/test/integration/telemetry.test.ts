// What the proxy tells about each request: a server span per request with one client span per attempt
// (retries visible), continuing the caller's trace or starting one; traceparent always sent upstream;
// B3 when OTEL_PROPAGATORS says so; exemplars on the latency histograms; the access log's fields.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, type OtlpReceiver, startOtlpReceiver } from '@sre-stack/runtime/testing';
import {
  accessLines,
  type RunningProxy,
  startProxy,
  startUpstream,
  type Upstream,
} from '../helpers/proxy.ts';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

const config = (upstream: string) => `
routes:
  - name: api
    match: { pathPrefix: / }
    upstream: { targets: [${upstream}] }
    policies:
      retry: { retries: 2, on: [5xx], backoff: { base: 1ms } }
`;

interface Echo {
  headers: Record<string, string>;
}

describe('traces', () => {
  let receiver: OtlpReceiver;
  let upstream: Upstream;
  let proxy: RunningProxy;

  before(async () => {
    receiver = await startOtlpReceiver();
    upstream = await startUpstream();
    proxy = await startProxy(config(upstream.url), {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
  });

  after(async () => {
    await proxy?.stop();
    await upstream?.stop();
    await receiver?.close();
  });

  it("continues the caller's trace: one server span, one client span per attempt", async () => {
    const response = await fetch(`${proxy.url}/seq/traced?codes=503,200`, {
      headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
    });
    assert.equal(response.status, 200);
    const spans = await receiver.waitForSpans(
      (all) => all.filter((span) => span.traceId === CALLER_TRACE && span.service === 'proxy').length >= 3,
      20_000,
    );
    const ours = spans.filter((span) => span.traceId === CALLER_TRACE && span.service === 'proxy');
    const server = ours.filter((span) => span.kind === 2);
    const clients = ours.filter((span) => span.kind === 3);
    assert.equal(server.length, 1);
    assert.equal(clients.length, 2, 'one client span per attempt');
    const root = server[0]!;
    assert.equal(root.parentSpanId, CALLER_SPAN);
    assert.equal(root.name, 'GET /*');
    assert.equal(root.attributes['http.response.status_code'], 200);
    assert.equal(root.attributes['proxy.attempts'], 2);
    assert.equal(root.attributes['proxy.decided_by'], 'retry');
    for (const client of clients) assert.equal(client.parentSpanId, root.spanId);
    const codes = clients.map((span) => span.attributes['http.response.status_code']).sort();
    assert.deepEqual(codes, [200, 503]);
    const retry = clients.find((span) => span.attributes['http.request.resend_count'] === 1);
    assert.ok(retry, 'the retry says it is one');
    assert.equal(retry.attributes['http.response.status_code'], 200);
  });

  it('starts a trace when the caller sends none, and the upstream always gets a traceparent', async () => {
    const echoed = (await (await fetch(`${proxy.url}/echo`)).json()) as Echo;
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(echoed.headers.traceparent ?? '');
    assert.ok(match, `traceparent ${echoed.headers.traceparent}`);
    const [, traceId, spanId] = match;
    const spans = await receiver.waitForSpans((all) => all.some((span) => span.spanId === spanId), 20_000);
    const client = spans.find((span) => span.spanId === spanId)!;
    assert.equal(client.kind, 3, 'the upstream sees the attempt span as its parent');
    const server = spans.find((span) => span.spanId === client.parentSpanId);
    assert.ok(server);
    assert.equal(server.parentSpanId, undefined, 'a new trace: the server span is the root');
    assert.equal(server.traceId, traceId);
    const line = await eventually(() => {
      const found = accessLines(proxy).find((entry) => entry.trace_id === traceId);
      assert.ok(found, 'the access log line carries the trace id');
      return found;
    });
    assert.equal(line.span_id, server.spanId);
  });

  it('puts trace ids as exemplars on the latency histograms', async () => {
    await fetch(`${proxy.url}/status/200`);
    const metrics = await proxy.metrics();
    assert.match(
      metrics,
      /proxy_request_duration_seconds_bucket\{route="api",le="[^"]+"\} \d+ # \{trace_id="[0-9a-f]{32}"\}/,
    );
    assert.match(
      metrics,
      /proxy_upstream_attempt_duration_seconds_bucket\{[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}"\}/,
    );
  });

  it('writes one access log line per request with every field', async () => {
    await fetch(`${proxy.url}/seq/logged?codes=500,200`, { headers: { 'user-agent': 'log-test' } });
    const line = await eventually(() => {
      const found = accessLines(proxy).find((entry) => entry.path === '/seq/logged');
      assert.ok(found);
      return found;
    });
    assert.equal(line.level, 'info');
    assert.equal(line.service, 'proxy');
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
    assert.match(String(line.trace_id), /^[0-9a-f]{32}$/);
    assert.equal(line.route, 'api');
    assert.equal(line.method, 'GET');
    assert.equal(line.status, 200);
    assert.equal(typeof line.duration_ms, 'number');
    assert.equal(line.upstream, 'api');
    assert.equal(line.target, upstream.url);
    assert.equal(line.attempts, 2);
    assert.equal(line.decided_by, 'retry');
    assert.deepEqual(line.retry_reasons, ['500']);
    assert.equal(typeof line.upstream_service_time_ms, 'number');
    assert.equal(line.user_agent, 'log-test');
    assert.equal(line.client_ip, '127.0.0.1');
  });
});

describe('propagation without an exporter', () => {
  it('sends traceparent upstream with no exporter, and B3 headers when OTEL_PROPAGATORS=b3multi', async () => {
    const upstream = await startUpstream();
    const plain = await startProxy(config(upstream.url));
    const b3 = await startProxy(config(upstream.url), { env: { OTEL_PROPAGATORS: 'b3multi' } });
    try {
      const viaPlain = (await (
        await fetch(`${plain.url}/echo`, { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } })
      ).json()) as Echo;
      assert.match(
        viaPlain.headers.traceparent ?? '',
        new RegExp(`^00-${CALLER_TRACE}-(?!${CALLER_SPAN})[0-9a-f]{16}-01$`),
      );
      const viaB3 = (await (
        await fetch(`${b3.url}/echo`, {
          headers: { 'x-b3-traceid': CALLER_TRACE, 'x-b3-spanid': CALLER_SPAN, 'x-b3-sampled': '1' },
        })
      ).json()) as Echo;
      assert.equal(viaB3.headers['x-b3-traceid'], CALLER_TRACE);
      assert.match(viaB3.headers['x-b3-spanid'] ?? '', /^[0-9a-f]{16}$/);
      assert.notEqual(
        viaB3.headers['x-b3-spanid'],
        CALLER_SPAN,
        'the attempt is a new span in the same trace',
      );
      assert.equal(viaB3.headers.traceparent, undefined);
    } finally {
      await Promise.all([plain.stop(), b3.stop()]);
      await upstream.stop();
    }
  });
});
