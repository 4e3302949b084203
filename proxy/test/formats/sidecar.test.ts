// The sidecar format: its YAML as written, on the real proxy bin, in front of a real upstream
// process: glob and method matching, retries on 5xx, the timeout, the circuit breaker, the rate limit,
// trace propagation, and metrics on the configured path and port.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  PROXY_BIN,
  type RunningProxy,
  sample,
  startProxy,
  startUpstream,
  type Upstream,
} from '../helpers/proxy.ts';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;

describe('the sidecar format: the ingress sidecar YAML', () => {
  let upstream: Upstream;
  let proxy: RunningProxy;

  before(async () => {
    upstream = await startUpstream('app');
    proxy = await startProxy(
      `port: 80
metrics:
  path: "/sidecar-metrics"
  port: 9100
tracing:
  samplingServer: "jaeger:6831"
paths:
- path: "/seq/*"
  method: "GET"
  forwardPort: ${upstream.port}
  maxRetry: 3
  timeout: 1s
- path: "/hang*"
  method: "GET"
  forwardPort: ${upstream.port}
  timeout: 300ms
- path: "/status/*"
  method: "GET"
  forwardPort: ${upstream.port}
  circuitBreaking:
    maxError: 3
    rejectionPeriod: 30s
- path: "/echo*"
  forwardPort: ${upstream.port}
  rateLimiting:
    maxAmount: 3
    expiration: 60s
`,
    );
  });
  after(async () => {
    await proxy?.stop();
    await upstream?.stop();
  });

  const hits = async (key: string) => (await upstream.stats()).hits[key] ?? 0;

  it('is read as the sidecar format, and says how samplingServer maps', () => {
    const listening = proxy.process.lines.find((line) => line.msg === 'listening');
    assert.equal(listening?.config_format, 'sidecar');
    assert.ok(
      proxy.process.lines.some((line) => String(line.msg).startsWith('tracing.samplingServer jaeger:6831')),
    );
  });

  it('forwards what matches a path glob and its method; other paths 404, other methods 405 with Allow', async () => {
    const ok = await fetch(`${proxy.url}/seq/a?codes=200&key=match`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'try 1: 200\n');
    const post = await fetch(`${proxy.url}/seq/a`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET');
    assert.match(await post.text(), /method POST is not allowed on \/seq\/a; allowed: GET/);
    const none = await fetch(`${proxy.url}/elsewhere`);
    assert.equal(none.status, 404);
    await none.text();
    assert.equal(await hits('/seq/a'), 0, 'refused requests never reach the app');
  });

  it('retries a 5xx up to maxRetry times: at most 1 + maxRetry tries', async () => {
    const rescued = await fetch(`${proxy.url}/seq/r?codes=503,502,200&key=rescued`);
    assert.equal(rescued.status, 200);
    assert.equal(rescued.headers.get('x-proxy-attempts'), '3');
    await rescued.text();
    const failing = await fetch(`${proxy.url}/seq/f?codes=500&key=failing`);
    assert.equal(failing.status, 500);
    await failing.text();
    assert.equal(await hits('failing'), 4, '1 + maxRetry (3) tries');
  });

  it('answers 504 when the timeout passes', async () => {
    const response = await fetch(`${proxy.url}/hang?key=slow`);
    assert.equal(response.status, 504);
    assert.match(await response.text(), /did not answer in time/);
  });

  it('after maxError consecutive errors, rejects for rejectionPeriod with a fast 503, upstream untouched', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${proxy.url}/status/500?key=breaker`);
      assert.equal(response.status, 500);
      await response.text();
    }
    const rejected = await fetch(`${proxy.url}/status/200?key=breaker`);
    assert.equal(rejected.status, 503);
    assert.ok(Number(rejected.headers.get('retry-after')) > 0);
    assert.match(await rejected.text(), /circuit open/);
    assert.equal(await hits('breaker'), 3, 'the rejected request never reached the app');
  });

  it('lets maxAmount requests through per expiration; the rest get 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${proxy.url}/echo?key=limited`);
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
      await response.text();
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.ok(Number(retryAfter) > 0 && Number(retryAfter) <= 60, `Retry-After ${retryAfter}`);
    assert.equal(await hits('limited'), 3);
  });

  it("continues the caller's trace, or starts one", async () => {
    // The rate limit above has spent /echo: a second sidecar with an unlimited /echo shows what the app saw.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const echoed = await startProxy(`paths:\n- path: "/echo*"\n  forwardPort: ${upstream.port}\n`);
    try {
      const continued = (await (
        await fetch(`${echoed.url}/echo`, {
          headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        })
      ).json()) as { headers: Record<string, string> };
      assert.match(continued.headers.traceparent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      const started = (await (await fetch(`${echoed.url}/echo`)).json()) as {
        headers: Record<string, string>;
      };
      assert.match(started.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      assert.ok(!started.headers.traceparent?.includes(traceId));
    } finally {
      await echoed.stop();
    }
  });

  it('serves Prometheus metrics on metrics.path of the metrics port, with /healthz and /readyz', async () => {
    const page = await (await fetch(`${proxy.adminUrl}/sidecar-metrics`)).text();
    assert.equal(sample(page, 'proxy_retries_total', { route: 'seq', reason: '500' }), 3);
    assert.equal(
      sample(page, 'proxy_responses_total', {
        route: 'status',
        code_class: '5xx',
        decided_by: 'circuit_breaker',
      }),
      1,
    );
    assert.equal(
      sample(page, 'proxy_responses_total', { route: 'echo', code_class: '4xx', decided_by: 'rate_limit' }),
      2,
    );
    assert.equal(
      sample(page, 'proxy_responses_total', { route: 'hang', code_class: '5xx', decided_by: 'timeout' }),
      1,
    );
    assert.equal(
      sample(page, 'proxy_responses_total', {
        route: 'no_route',
        code_class: '4xx',
        decided_by: 'method_not_allowed',
      }),
      1,
    );
    assert.ok((sample(page, 'proxy_added_latency_seconds_count', { route: 'seq' }) ?? 0) >= 3);
    assert.equal((await fetch(`${proxy.adminUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${proxy.adminUrl}/readyz`)).status, 200);
  });
});

describe('the sidecar format: the shipped files', () => {
  it('examples/sidecar.yaml (the example file, verbatim) and the Kubernetes sidecar config pass --check', async () => {
    for (const file of ['examples/sidecar.yaml', 'deploy/k8s/base/proxy-sidecar.yaml']) {
      const { stdout } = await run(process.execPath, [PROXY_BIN, '--check', '--config', root + file], {
        env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
      });
      assert.match(stdout, /ok, the sidecar format \(1 route\)/);
    }
  });

  it('examples/sidecar.yaml forwards GET /foo* to the app on forwardPort (ports moved to free ones)', async () => {
    const upstream = await startUpstream('app');
    const text = readFileSync(`${root}examples/sidecar.yaml`, 'utf8');
    // Only the port numbers change: 80, 9100 and 8080 may be taken, or need root.
    const moved = text.replace('forwardPort: 8080', `forwardPort: ${upstream.port}`);
    assert.equal(moved.replace(String(upstream.port), '8080'), text);
    const proxy = await startProxy(moved);
    try {
      const ok = await fetch(`${proxy.url}/foo/bar?x=1`);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'ok\n');
      assert.equal((await fetch(`${proxy.url}/bar`)).status, 404);
      assert.equal((await fetch(`${proxy.url}/foo`, { method: 'DELETE' })).status, 405);
      assert.ok((await (await fetch(`${proxy.adminUrl}/metrics`)).text()).includes('proxy_requests_total'));
    } finally {
      await proxy.stop();
      await upstream.stop();
    }
  });
});
