// The policies through the real bin, against a real upstream process: retries, timeouts, the retry
// budget, the circuit breaker's state machine and the rate limit, as clients, metrics and logs see them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@sre-stack/runtime/testing';
import {
  accessLines,
  type RunningProxy,
  sample,
  startProxy,
  startUpstream,
  type Upstream,
} from '../helpers/proxy.ts';

describe('policies', () => {
  let upstream: Upstream;
  let proxy: RunningProxy;

  before(async () => {
    upstream = await startUpstream('main');
    proxy = await startProxy(`
upstreams:
  main:
    targets: [${upstream.url}]
  dead:
    targets: [http://127.0.0.1:1]
routes:
  - name: retry
    match: { pathPrefix: /r/ }
    rewrite: { stripPrefix: /r }
    upstream: main
    policies:
      retry: { retries: 2, on: [5xx, connect-failure, reset, per-try-timeout], perTryTimeout: 1s, backoff: { base: 10ms } }
  - name: post
    match: { pathPrefix: /post/ }
    rewrite: { stripPrefix: /post }
    upstream: main
    policies:
      retry: { retries: 2, on: [5xx], methods: [GET, POST], maxBufferedBody: 1024, backoff: { base: 1ms } }
  - name: deadline
    match: { pathPrefix: /d/ }
    rewrite: { stripPrefix: /d }
    upstream: main
    policies:
      timeout: 400ms
      retry: { retries: 5, on: [per-try-timeout], perTryTimeout: 150ms, backoff: { base: 1ms } }
  - name: budget
    match: { pathPrefix: /b/ }
    rewrite: { stripPrefix: /b }
    upstream: main
    policies:
      retry: { retries: 2, on: [5xx], backoff: { base: 1ms }, budget: { percent: 20, minConcurrent: 1 } }
  - name: breaker
    match: { pathPrefix: /cb/ }
    rewrite: { stripPrefix: /cb }
    upstream: main
    policies:
      circuitBreaker: { consecutiveFailures: 3, openFor: 1s, trialTimeout: 500ms }
  - name: limited
    match: { pathPrefix: /rl/ }
    rewrite: { stripPrefix: /rl }
    upstream: main
    policies:
      rateLimit: { capacity: 3, window: 30s }
  - name: dead
    match: { pathPrefix: /dead }
    upstream: dead
    policies:
      retry: { retries: 2, backoff: { base: 1ms } }
`);
  });

  after(async () => {
    await proxy?.stop();
    await upstream?.stop();
  });

  it('retries 5xx until success and says how many tries it took', async () => {
    const response = await fetch(`${proxy.url}/r/seq/rescue?codes=503,500,200`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-proxy-attempts'), '3');
    assert.equal(await response.text(), 'try 3: 200\n');
    const metrics = await proxy.metrics();
    assert.equal(sample(metrics, 'proxy_retries_total', { route: 'retry', reason: '503' }), 1);
    assert.equal(sample(metrics, 'proxy_retries_total', { route: 'retry', reason: '500' }), 1);
    assert.equal(sample(metrics, 'proxy_retry_rescued_total', { route: 'retry' }), 1);
    assert.equal(
      sample(metrics, 'proxy_upstream_attempts_total', { route: 'retry', target: upstream.url, code: '503' }),
      1,
    );
    const line = await eventually(() => {
      const found = accessLines(proxy).find((entry) => entry.path === '/r/seq/rescue');
      assert.ok(found);
      return found;
    });
    assert.equal(line.attempts, 3);
    assert.equal(line.decided_by, 'retry');
    assert.deepEqual(line.retry_reasons, ['503', '500']);
  });

  it('gives up after the configured retries and passes the last answer on', async () => {
    const response = await fetch(`${proxy.url}/r/seq/always?codes=502`);
    assert.equal(response.status, 502);
    assert.equal(response.headers.get('x-proxy-attempts'), '3');
    assert.equal((await upstream.stats()).hits['/seq/always'], 3);
    assert.equal(sample(await proxy.metrics(), 'proxy_retry_limit_exceeded_total', { route: 'retry' }), 1);
  });

  it('retries a small POST only where the route opted in, with the body sent again', async () => {
    const rescued = await fetch(`${proxy.url}/post/seq/post-ok?codes=500,200`, {
      method: 'POST',
      body: 'payload',
    });
    assert.equal(rescued.status, 200);
    assert.equal(rescued.headers.get('x-proxy-attempts'), '2');
    const notOnRoute = await fetch(`${proxy.url}/r/seq/post-no?codes=500,200`, {
      method: 'POST',
      body: 'payload',
    });
    assert.equal(notOnRoute.status, 500, 'POST is not idempotent: not retried by default');
    const tooBig = await fetch(`${proxy.url}/post/seq/post-big?codes=500,200`, {
      method: 'POST',
      body: 'x'.repeat(5000),
    });
    assert.equal(tooBig.status, 500, 'a body above maxBufferedBody streams through, tried once');
    assert.equal(tooBig.headers.get('x-proxy-attempts'), '1');
  });

  it('cuts a slow try at the per-try timeout and retries it', async () => {
    const response = await fetch(`${proxy.url}/r/seq/slow-first?codes=200&delays=2000,0`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-proxy-attempts'), '2');
    assert.equal(
      sample(await proxy.metrics(), 'proxy_retries_total', { route: 'retry', reason: 'per_try_timeout' }),
      1,
    );
    await eventually(async () =>
      assert.equal((await upstream.stats()).aborts['/seq/slow-first'], 1, 'the slow try was aborted'),
    );
  });

  it('answers 504 with a clear body when the deadline passes, however many retries are left', async () => {
    const response = await fetch(`${proxy.url}/d/status/200?delay=3000&key=deadline`);
    assert.equal(response.status, 504);
    const body = await response.text();
    assert.match(body, /^504 Gateway Timeout: .* did not answer in time/);
    // The last try ends at the deadline, or (on a busy host) by its own per-try timeout just before it,
    // with no time left for another: then the body tells of that try and the log of the deadline.
    assert.match(body, /400 ms deadline|per-try timeout of 150 ms/);
    const attempts = Number(response.headers.get('x-proxy-attempts'));
    assert.ok(
      attempts >= 2 && attempts <= 3,
      `per-try 150 ms within a 400 ms deadline: 2 or 3 tries, got ${attempts}`,
    );
    const line = await eventually(() => {
      const found = accessLines(proxy).find((entry) => entry.path === '/d/status/200');
      assert.ok(found);
      return found;
    });
    assert.equal(line.decided_by, 'timeout');
    assert.equal(line.status, 504);
    if (!/400 ms deadline/.test(body)) assert.match(String(line.detail), /400 ms deadline/);
  });

  it('the retry budget keeps a failing upstream from seeing the load multiplied', async () => {
    const concurrent = 30;
    const responses = await Promise.all(
      Array.from({ length: concurrent }, () =>
        fetch(`${proxy.url}/b/status/503?delay=300&key=budget`).then((r) => r.status),
      ),
    );
    assert.ok(responses.every((status) => status === 503));
    const hits = (await upstream.stats()).hits.budget ?? 0;
    // Without a budget: 3 tries each = 90. With 20 % of 30 active (6 retries at a time, then fewer).
    assert.ok(hits < concurrent * 1.5, `upstream saw ${hits} requests for ${concurrent}`);
    assert.ok(
      (sample(await proxy.metrics(), 'proxy_retry_budget_exhausted_total', { route: 'budget' }) ?? 0) > 0,
    );
  });

  it('a dead upstream is retried on connect failure, then answered 502', async () => {
    const response = await fetch(`${proxy.url}/dead`);
    assert.equal(response.status, 502);
    assert.equal(response.headers.get('x-proxy-attempts'), '3');
    const metrics = await proxy.metrics();
    assert.equal(sample(metrics, 'proxy_retries_total', { route: 'dead', reason: 'connect_failure' }), 2);
    assert.equal(
      sample(metrics, 'proxy_upstream_attempts_total', {
        route: 'dead',
        target: 'http://127.0.0.1:1',
        code: 'connect_failure',
      }),
      3,
    );
  });

  it('the circuit breaker opens after N failures, refuses without touching the upstream, then closes on a good trial', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${proxy.url}/cb/status/500?key=cb`)).status, 500);
    const refused = await fetch(`${proxy.url}/cb/status/500?key=cb`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(await refused.text(), /circuit open/);
    assert.equal((await upstream.stats()).hits.cb, 3, 'the refused request never reached the upstream');
    let metrics = await proxy.metrics();
    assert.equal(sample(metrics, 'proxy_circuit_state', { route: 'breaker', target: upstream.url }), 2);
    assert.equal(sample(metrics, 'proxy_circuit_rejected_total', { route: 'breaker' }), 1);
    // After the open period one trial goes through; a failing trial reopens the circuit.
    await eventually(
      async () =>
        assert.equal(
          sample(await proxy.metrics(), 'proxy_circuit_state', { route: 'breaker', target: upstream.url }),
          1,
        ),
      5000,
    );
    assert.equal(
      (await fetch(`${proxy.url}/cb/status/500?key=cb`)).status,
      500,
      'the trial reached the upstream',
    );
    assert.equal(
      (await fetch(`${proxy.url}/cb/status/200?key=cb`)).status,
      503,
      'and its failure reopened the circuit',
    );
    await eventually(
      async () =>
        assert.equal(
          sample(await proxy.metrics(), 'proxy_circuit_state', { route: 'breaker', target: upstream.url }),
          1,
        ),
      5000,
    );
    assert.equal((await fetch(`${proxy.url}/cb/status/200?key=cb`)).status, 200, 'a good trial');
    assert.equal((await fetch(`${proxy.url}/cb/status/200?key=cb`)).status, 200, 'closed again');
    metrics = await proxy.metrics();
    assert.equal(sample(metrics, 'proxy_circuit_state', { route: 'breaker', target: upstream.url }), 0);
    assert.equal(
      sample(metrics, 'proxy_circuit_transitions_total', {
        route: 'breaker',
        target: upstream.url,
        to: 'open',
      }),
      2,
    );
    assert.equal(
      sample(metrics, 'proxy_circuit_transitions_total', {
        route: 'breaker',
        target: upstream.url,
        to: 'half_open',
      }),
      2,
    );
    assert.equal(
      sample(metrics, 'proxy_circuit_transitions_total', {
        route: 'breaker',
        target: upstream.url,
        to: 'closed',
      }),
      1,
    );
    assert.ok(
      proxy.process.lines.some(
        (line) => line.msg === 'circuit opened for 1000 ms' && line.route === 'breaker',
      ),
    );
  });

  it('the rate limit answers 429 with Retry-After and the IETF RateLimit headers beyond its capacity', async () => {
    const statuses = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await fetch(`${proxy.url}/rl/status/200?key=rl`);
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.ok(last);
    assert.ok(Number(last.headers.get('retry-after')) >= 1);
    assert.equal(last.headers.get('ratelimit-policy'), '"limited";q=3;w=30');
    assert.match(last.headers.get('ratelimit') ?? '', /^"limited";r=0;t=\d+$/);
    assert.match(await last.text(), /rate limit exceeded on route limited/);
    assert.equal((await upstream.stats()).hits.rl, 3);
    const metrics = await proxy.metrics();
    assert.equal(sample(metrics, 'proxy_rate_limited_total', { route: 'limited' }), 2);
    assert.equal(
      sample(metrics, 'proxy_requests_total', { route: 'limited', method: 'GET', code: '429' }),
      2,
    );
  });
});
