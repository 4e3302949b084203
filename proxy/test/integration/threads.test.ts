// The proxy exact at any worker count: the breaker, the rate limit and reloads on the real bin, with
// the default worker count and with several worker threads, every request on a connection of its own
// (so that the kernel spreads them over the threads). Also: what a first failing request is answered,
// routing around targets whose circuit is open, what happens when every one is, and requests the proxy
// cannot forward.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eventually, freePort } from '@sre-stack/runtime/testing';
import {
  accessLines,
  rawExchange,
  requestOnNewConnection,
  sample,
  startProxy,
  startUpstream,
  type Upstream,
} from '../helpers/proxy.ts';

const sidecar = (upstreamPort: number, downPort: number, maxError: number) => `port: 80
metrics:
  path: "/sidecar-metrics"
  port: 9100
paths:
- path: "/status/*"
  method: "GET"
  forwardPort: ${upstreamPort}
  circuitBreaking:
    maxError: ${maxError}
    rejectionPeriod: 30s
- path: "/echo*"
  forwardPort: ${upstreamPort}
  rateLimiting:
    maxAmount: 10
    expiration: 60s
- path: "/down*"
  method: "GET"
  forwardPort: ${downPort}
  maxRetry: 3
  circuitBreaking:
    maxError: 3
    rejectionPeriod: 30s
`;

describe('exact policies at any worker count', () => {
  let upstream: Upstream;
  let downPort: number;

  before(async () => {
    upstream = await startUpstream('app');
    downPort = await freePort();
  });
  after(async () => {
    await upstream?.stop();
  });

  const hits = async (key: string) => (await upstream.stats()).hits[key] ?? 0;

  it('the sidecar YAML as written (default workers): the circuit opens after exactly maxError errors', async () => {
    const proxy = await startProxy(sidecar(upstream.port, downPort, 3), { workers: null });
    try {
      const listening = proxy.process.lines.find((line) => line.msg === 'listening');
      assert.equal(listening?.workers, 1, 'one worker unless asked for more');
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await requestOnNewConnection(`${proxy.url}/status/500?key=default`)).status);
      }
      assert.deepEqual(statuses, [500, 500, 500, 503, 503, 503]);
      assert.equal(await hits('default'), 3, 'no request reached the app once the circuit was open');
    } finally {
      await proxy.stop();
    }
  });

  it('a first request whose own tries were refused answers 502 for its last try, then 503 for the circuit', async () => {
    const proxy = await startProxy(sidecar(upstream.port, downPort, 3), { workers: null });
    try {
      const first = await requestOnNewConnection(`${proxy.url}/down`);
      assert.equal(first.status, 502, first.body);
      assert.match(first.body, /could not get a response from http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED/);
      assert.equal(first.headers['retry-after'], undefined);
      const second = await requestOnNewConnection(`${proxy.url}/down`);
      assert.equal(second.status, 503);
      assert.ok(Number(second.headers['retry-after']) > 0);
      assert.match(second.body, /circuit open/);
      await eventually(() => assert.equal(accessLines(proxy).length, 2));
      const [firstLine, secondLine] = accessLines(proxy);
      assert.equal(firstLine?.status, 502);
      assert.equal(firstLine?.decided_by, 'retry');
      assert.equal(firstLine?.attempts, 3, 'the third refused try opened the circuit; no fourth');
      assert.equal(secondLine?.decided_by, 'circuit_breaker');
      assert.equal(secondLine?.attempts, 0);
      const metrics = await proxy.metrics();
      assert.equal(
        sample(metrics, 'proxy_responses_total', { route: 'down', code_class: '5xx', decided_by: 'retry' }),
        1,
      );
      assert.equal(
        sample(metrics, 'proxy_responses_total', {
          route: 'down',
          code_class: '5xx',
          decided_by: 'circuit_breaker',
        }),
        1,
      );
    } finally {
      await proxy.stop();
    }
  });

  it('with --workers 3 and a new connection per request: the breaker and the limit hold exactly', async () => {
    const proxy = await startProxy(sidecar(upstream.port, downPort, 4), { workers: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        statuses.push((await requestOnNewConnection(`${proxy.url}/status/500?key=three`)).status);
      }
      assert.deepEqual(statuses, [500, 500, 500, 500, ...Array(8).fill(503)]);
      assert.equal(await hits('three'), 4, 'exactly maxError requests reached the app');

      // 30 at once, 10 per window: exactly 10 pass, however the threads share them.
      const limited = await Promise.all(
        Array.from({ length: 30 }, () => requestOnNewConnection(`${proxy.url}/echo?key=limit`)),
      );
      const passed = limited.filter((response) => response.status === 200).length;
      assert.equal(passed, 10);
      assert.equal(limited.filter((response) => response.status === 429).length, 20);
      assert.equal(await hits('limit'), 10);

      const metrics = await proxy.metrics();
      assert.equal(sample(metrics, 'proxy_circuit_state', { route: 'status', target: upstream.url }), 2);
      assert.equal(
        sample(metrics, 'proxy_circuit_transitions_total', {
          route: 'status',
          target: upstream.url,
          to: 'open',
        }),
        1,
        'one transition, made by one thread',
      );
      assert.equal(sample(metrics, 'proxy_rate_limited_total', { route: 'echo' }), 20);
      const perWorker = [0, 1, 2].map(
        (worker) => sample(metrics, 'proxy_worker_connections_total', { worker: String(worker) }) ?? 0,
      );
      assert.ok(
        perWorker.filter((count) => count > 0).length >= 2,
        `the connections were spread over the threads: ${perWorker}`,
      );
    } finally {
      await proxy.stop();
    }
  });

  it('a reload under load is applied by every worker or by none: a refusing worker is reported', async () => {
    const yaml = (body: string) => `
routes:
  - name: static
    match: { pathPrefix: / }
    static: { body: "${body}" }
`;
    const proxy = await startProxy(yaml('first'), {
      workers: 3,
      env: { PROXY_TEST_REFUSE_RELOAD_WORKER: '1' },
    });
    try {
      let loading = true;
      const bodies: string[] = [];
      const statuses: number[] = [];
      const load = (async () => {
        for (let round = 0; round < 400 && loading; round++) {
          const batch = await Promise.all(
            Array.from({ length: 3 }, () => requestOnNewConnection(`${proxy.url}/x`)),
          );
          for (const response of batch) {
            bodies.push(response.body);
            statuses.push(response.status);
          }
        }
      })();
      await proxy.writeConfig(yaml('second'));
      await eventually(() => {
        assert.ok(proxy.process.lines.some((line) => String(line.msg).startsWith('config reload refused')));
      }, 15_000);
      // Keep the load on a little after the refusal.
      await new Promise((resolve) => setTimeout(resolve, 300));
      loading = false;
      await load;
      assert.ok(bodies.length >= 3);
      assert.deepEqual([...new Set(statuses)], [200]);
      assert.deepEqual([...new Set(bodies)], ['first'], 'no worker applied the refused config');
      const refused = proxy.process.lines.find(
        (line) => line.msg === 'a worker refused the new config; no worker applied it',
      );
      assert.deepEqual(refused?.refused_by, [1]);
      const config = (await (await fetch(`${proxy.adminUrl}/config`)).json()) as {
        config: { routes: { static: { body: string } }[] };
      };
      assert.equal(config.config.routes[0]?.static.body, 'first', '/config shows what serves');
      const metrics = await proxy.metrics();
      assert.equal(sample(metrics, 'config_last_reload_successful'), 0);
      assert.equal(sample(metrics, 'proxy_config_reload_refusals_total', { worker: '1' }), 1);
    } finally {
      await proxy.stop();
    }
  });
});

describe('routing around targets that cannot take a request', () => {
  let alive: Upstream;
  let deadUrl: string;

  before(async () => {
    alive = await startUpstream('alive');
    deadUrl = `http://127.0.0.1:${await freePort()}`;
  });
  after(async () => {
    await alive?.stop();
  });

  for (const [what, breaker] of [
    ['an open circuit', '{ consecutiveFailures: 1, openFor: 60s }'],
    [
      'an open circuit in panic mode',
      '{ consecutiveFailures: 1, openFor: 60s, maxOpenFor: 300s, whenAllOpen: forward }',
    ],
  ] as const) {
    it(`never sends to ${what} while another target can take the request (2 workers)`, async () => {
      const proxy = await startProxy(
        `
routes:
  - name: main
    match: { pathPrefix: / }
    upstream:
      targets: [${deadUrl}, ${alive.url}]
      balancer: round-robin
    policies:
      circuitBreaker: ${breaker}
`,
        { workers: 2 },
      );
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 12; i++) {
          statuses.push((await requestOnNewConnection(`${proxy.url}/status/200?key=${what}`)).status);
        }
        assert.ok(
          statuses.filter((status) => status === 502).length <= 1,
          `at most the first try went to the dead target: ${statuses}`,
        );
        assert.equal(statuses.filter((status) => status === 200).length >= 11, true, `${statuses}`);
        assert.equal(await (await alive.stats()).hits[what], statuses.filter((s) => s === 200).length);
        const metrics = await proxy.metrics();
        assert.equal(sample(metrics, 'proxy_upstream_target_up', { route: 'main', target: deadUrl }), 0);
        assert.equal(sample(metrics, 'proxy_upstream_target_up', { route: 'main', target: alive.url }), 1);
        assert.equal(sample(metrics, 'proxy_route_circuit_state', { route: 'main' }), 0, 'alive admits');
      } finally {
        await proxy.stop();
      }
    });
  }

  for (const [whenAllOpen, expected] of [
    ['refuse', 503],
    ['forward', 502],
  ] as const) {
    it(`when every circuit is open, whenAllOpen ${whenAllOpen} answers ${expected} (2 workers)`, async () => {
      const otherDead = `http://127.0.0.1:${await freePort()}`;
      const proxy = await startProxy(
        `
routes:
  - name: all
    match: { pathPrefix: / }
    upstream: { targets: [${deadUrl}, ${otherDead}] }
    policies:
      circuitBreaker: { consecutiveFailures: 1, openFor: 60s, whenAllOpen: ${whenAllOpen} }
`,
        { workers: 2 },
      );
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) statuses.push((await requestOnNewConnection(`${proxy.url}/x`)).status);
        assert.deepEqual(statuses, [502, 502, ...Array(4).fill(expected)], 'each target opened once');
        const metrics = await proxy.metrics();
        assert.equal(sample(metrics, 'proxy_route_circuit_state', { route: 'all' }), 2);
        const opened = [deadUrl, otherDead].map((target) =>
          sample(metrics, 'proxy_circuit_transitions_total', { route: 'all', target, to: 'open' }),
        );
        assert.deepEqual(opened, [1, 1], 'panic-mode attempts count for no circuit');
        const attempts = [deadUrl, otherDead].reduce(
          (total, target) =>
            total +
            (sample(metrics, 'proxy_upstream_attempts_total', {
              route: 'all',
              target,
              code: 'connect_failure',
            }) ?? 0),
          0,
        );
        assert.equal(attempts, whenAllOpen === 'refuse' ? 2 : 6);
        // A worker's log lines reach the main thread's stdout asynchronously: wait for the line.
        const allOpen = (line: { msg?: unknown }) =>
          String(line.msg).startsWith("every target's circuit is open");
        await proxy.process.waitForLine(allOpen, 10_000);
        assert.equal(proxy.process.lines.filter(allOpen).length, 1, 'the route-level change is logged once');
      } finally {
        await proxy.stop();
      }
    });
  }
});

describe('requests the proxy cannot forward, and upstreams that answer nonsense', () => {
  let upstream: Upstream;
  let odd: Server;
  let oddPort: number;

  before(async () => {
    upstream = await startUpstream('app');
    // Answers every request with a status line that is not HTTP (099).
    odd = createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 099 Odd\r\ncontent-length: 2\r\n\r\nhi'));
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    oddPort = (odd.address() as { port: number }).port;
  });
  after(async () => {
    await upstream?.stop();
    await new Promise((resolve) => odd?.close(resolve));
  });

  it('answers 400 itself for OPTIONS *, bad targets and bad Host headers; none of them opens a circuit', async () => {
    const proxy = await startProxy(`
routes:
  - name: main
    match: { pathPrefix: / }
    upstream:
      targets: [${upstream.url}]
    policies:
      circuitBreaker: { consecutiveFailures: 1 }
`);
    try {
      for (let i = 0; i < 5; i++) {
        const star = await rawExchange(
          proxy.port,
          'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        );
        assert.match(star, /^HTTP\/1\.1 400 /);
        assert.match(star, /asterisk-form/);
        const garbage = await rawExchange(
          proxy.port,
          'GET http://[bad/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        );
        assert.match(garbage, /^HTTP\/1\.1 400 /);
      }
      // RFC 9112 §3.2: several Host lines, or a Host that is no host[:port], are a 400; never routed by.
      const twoHosts = await rawExchange(
        proxy.port,
        'GET /status/200 HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: close\r\n\r\n',
      );
      assert.match(twoHosts, /^HTTP\/1\.1 400 .*more than one Host header/s);
      const oddHost = await rawExchange(
        proxy.port,
        'GET /status/200 HTTP/1.1\r\nHost: a b/c@d\r\nConnection: close\r\n\r\n',
      );
      assert.match(oddHost, /^HTTP\/1\.1 400 .*the Host header is not a host\[:port\]/s);
      // Absolute-form: the target's host wins over the Host header, upstream too (RFC 9112 §3.2.2).
      const absolute = await getWithHost(proxy.port, 'http://x.example/echo', 'y.example');
      assert.equal(absolute.status, 200);
      assert.equal((JSON.parse(absolute.body) as { headers: { host: string } }).headers.host, 'x.example');
      for (const host of ['127.0.0.1:8080', '[::1]:80', 'example.com', 'xn--bcher-kva.test', ''])
        assert.equal((await getWithHost(proxy.port, '/status/200', host)).status, 200, JSON.stringify(host));
      const ok = await requestOnNewConnection(`${proxy.url}/status/200?key=after`);
      assert.equal(ok.status, 200, 'the circuit is closed and the target is in');
      const metrics = await proxy.metrics();
      assert.equal(sample(metrics, 'proxy_circuit_state', { route: 'main', target: upstream.url }), 0);
      assert.equal(sample(metrics, 'proxy_upstream_target_up', { route: 'main', target: upstream.url }), 1);
      await eventually(() =>
        assert.equal(accessLines(proxy).filter((line) => line.decided_by === 'bad_request').length, 12),
      );
    } finally {
      await proxy.stop();
    }
  });

  it('a 099 status line answers a clean 502 that shows nothing of the client library', async () => {
    const proxy = await startProxy(`
routes:
  - name: odd
    match: { pathPrefix: / }
    upstream: { targets: [http://127.0.0.1:${oddPort}] }
`);
    try {
      const response = await requestOnNewConnection(`${proxy.url}/x`);
      assert.equal(response.status, 502);
      assert.match(response.body, /sent an invalid response/);
      assert.doesNotMatch(response.body, /assert|ERR_|statusCode >=/i);
    } finally {
      await proxy.stop();
    }
  });
});

/** GET `target` (a path, or an absolute URL as a proxy gets it) with this Host header; fetch() cannot. */
function getWithHost(port: number, target: string, host: string): Promise<{ status?: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ port, host: '127.0.0.1', path: target, headers: { host }, agent: false });
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('error', reject);
    request.end();
  });
}
