// End to end, natively: prober → proxy → flaky server with flaky mode on. The proxy's retries rescue
// some failures and its metrics show it; one probe's trace spans all three services (checked with a
// test OTLP receiver); every hop's logs carry that trace id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  eventually,
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from '@sre-stack/runtime/testing';
import { type NativeStack, scrape, startNativeStack, sum } from './native-stack.ts';

/** Flaky from the start, no delay, errors only 503s: exactly what the proxy's retry policy retries. */
const serverConfig = `
enabled: true
error_probability: 0.5
latency: { distribution: fixed, delay: 0ms }
codes: [503]
`;

const probes = `
server: \${SERVER_URL}
probes:
  - name: status
    url: \${TARGET_URL}/status
    method: GET
    every: 300ms
    timeout: 250ms
    expect:
      status: [200-299]
`;

/** Retries only, so every 503 the client sees is one the retries could not rescue. */
const proxyConfig = `
listen: { port: 8000 }
admin: { port: 9102 }
routes:
  - name: flaky
    match: { pathPrefix: / }
    upstream:
      targets: ["\${UPSTREAM_URL}"]
    policies:
      timeout: 2s
      retry:
        retries: 2
        on: [5xx, connect-failure, reset]
        backoff: { base: 5ms }
`;

const SERVICES = ['prober', 'proxy', 'flaky-server'];

describe('prober → proxy → flaky server, natively, flaky mode on', () => {
  let receiver: OtlpReceiver;
  let stack: NativeStack;

  before(async () => {
    receiver = await startOtlpReceiver();
    stack = await startNativeStack({
      serverConfig,
      probes,
      proxyConfig,
      env: {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.url}/v1/logs`,
        // Export within a fraction of a second instead of the default 5 s (spans) and 1 s (logs).
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BLRP_SCHEDULE_DELAY: '200',
      },
    });
  });

  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('the server fails half the requests, the proxy retries them, and the prober mostly succeeds', async () => {
    await eventually(
      async () => {
        const serverAnswers = await scrape(
          stack.server.metricsPort,
          'http_server_request_duration_seconds_count',
        );
        const server503 = sum(serverAnswers, (labels) => labels.route === '/status' && labels.code === '503');
        const attempts = await scrape(stack.proxy.metricsPort, 'proxy_upstream_attempts_total');
        const retried503 = sum(attempts, (labels) => labels.code === '503');
        const downstream = await scrape(stack.proxy.metricsPort, 'proxy_requests_total');
        const sent503 = sum(downstream, (labels) => labels.code === '503');
        const sent200 = sum(downstream, (labels) => labels.code === '200');
        const retries = await scrape(stack.proxy.metricsPort, 'proxy_retries_total');
        const rescued = await scrape(stack.proxy.metricsPort, 'proxy_retry_rescued_total');
        const probeResults = await scrape(stack.prober.metricsPort, 'probe_results_total');
        const probeSuccesses = sum(probeResults, (labels) => labels.result === 'success');

        assert.ok(server503 >= 5, `the server answered 503 (${server503} so far)`);
        assert.ok(retried503 >= 5, 'the proxy saw those 503s as attempts');
        assert.ok(sum(retries) >= 5, `the proxy counts its retries (${sum(retries)})`);
        assert.ok(sum(rescued) >= 3, `and the requests they rescued (${sum(rescued)})`);
        // Rescued: more 503s came from upstream than the proxy passed on, and clients got 200s.
        assert.ok(
          sent503 < retried503,
          `the proxy passed on fewer 503s (${sent503}) than it received (${retried503})`,
        );
        assert.ok(sent200 > 0 && probeSuccesses > 0, 'the prober saw successes');
      },
      60_000,
      500,
    );
  });

  it('one probe run is one trace across prober → proxy → server, retries included', async () => {
    const spans = await receiver.waitForSpans((all) => traceAcrossAllServices(all) !== undefined, 30_000);
    const traceId = traceAcrossAllServices(spans) as string;
    const trace = spans.filter((span) => span.traceId === traceId);
    for (const service of SERVICES)
      assert.ok(
        trace.some((span) => span.service === service),
        `${service} span`,
      );
    // The spans form one tree: every parent is in the trace, exactly one root (the prober's run).
    const ids = new Set(trace.map((span) => span.spanId));
    const roots = trace.filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId));
    assert.equal(
      roots.length,
      1,
      `one root span, got ${roots.map((span) => `${span.service}:${span.name}`)}`,
    );
    assert.equal(roots[0]?.service, 'prober');
    // Server spans use the stable HTTP semantic conventions the dashboards and span metrics use.
    const serverSpan = trace.find((span) => span.service === 'flaky-server' && span.kind === 2);
    assert.ok(serverSpan, 'a SERVER span in flaky-server');
    assert.equal(serverSpan.attributes['http.request.method'], 'GET');
    assert.equal(typeof serverSpan.attributes['http.response.status_code'], 'number');
  });

  it('a retried request shows each attempt to the server inside the same trace', async () => {
    const spans = await receiver.waitForSpans((all) => retriedTrace(all) !== undefined, 30_000);
    const traceId = retriedTrace(spans) as string;
    const serverSpans = spans.filter(
      (span) => span.traceId === traceId && span.service === 'flaky-server' && span.kind === 2,
    );
    const codes = serverSpans.map((span) => span.attributes['http.response.status_code']);
    assert.ok(codes.includes(503), `a failed attempt: ${codes}`);
    assert.ok(serverSpans.length >= 2, 'and a retry');
  });

  it('the logs of every hop carry the trace id of the run', async () => {
    const spans = await receiver.waitForSpans((all) => traceAcrossAllServices(all) !== undefined, 30_000);
    const candidates = new Set(spans.filter((span) => span.service === 'prober').map((span) => span.traceId));
    const logs = await receiver.waitForLogs(
      (all) =>
        [...candidates].some((traceId) =>
          SERVICES.every((service) => all.some((log) => log.service === service && log.traceId === traceId)),
        ),
      30_000,
    );
    const traceId = [...candidates].find((id) =>
      SERVICES.every((service) => logs.some((log) => log.service === service && log.traceId === id)),
    );
    assert.ok(traceId);
    const lines = logs.filter((log) => log.traceId === traceId);
    assert.ok(
      lines.some((log) => log.service === 'prober' && /probe (succeeded|failed)/.test(String(log.body))),
    );
  });
});

/** A trace id with spans from all three services, whose root is a prober span. */
function traceAcrossAllServices(spans: ReceivedSpan[]): string | undefined {
  const services = new Map<string, Set<string>>();
  for (const span of spans) {
    const set = services.get(span.traceId) ?? new Set<string>();
    set.add(span.service);
    services.set(span.traceId, set);
  }
  for (const [traceId, set] of services) if (SERVICES.every((service) => set.has(service))) return traceId;
  return undefined;
}

/** A trace in which the server was called at least twice (a retry after a 503). */
function retriedTrace(spans: ReceivedSpan[]): string | undefined {
  const serverCalls = new Map<string, { count: number; failed: boolean }>();
  for (const span of spans) {
    if (span.service !== 'flaky-server' || span.kind !== 2) continue;
    const entry = serverCalls.get(span.traceId) ?? { count: 0, failed: false };
    entry.count += 1;
    if (span.attributes['http.response.status_code'] === 503) entry.failed = true;
    serverCalls.set(span.traceId, entry);
  }
  for (const [traceId, entry] of serverCalls) if (entry.count >= 2 && entry.failed) return traceId;
  return undefined;
}
