// The load-balancer format: its config format on the real proxy bin, with its spec's `be` (the test
// backend: one process listening on every target address of the config). Host routing, random spread,
// round-robin, failing targets taken out (their circuit opens) and active health checks, and per-service
// and per-target metrics.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, freePort, type RunningProcess, startProcess } from '@sre-stack/runtime/testing';
import { request } from 'undici';
import { type RunningProxy, sample, startProxy } from '../helpers/proxy.ts';

const BACKEND_BIN = new URL('../../bin/test-backend.ts', import.meta.url).pathname;
const EXAMPLE = new URL('../../../examples/lb.yaml', import.meta.url).pathname;
const HOST = 'my-service.my-company.com';

async function startBackend(configFile: string): Promise<RunningProcess> {
  const backend = startProcess(BACKEND_BIN, { args: ['--config', configFile] });
  await backend.waitForLine((line) => line.msg === 'listening', 15_000);
  return backend;
}

/** GET with this Host header (fetch would send the URL's). */
const get = async (url: string, host = HOST) => {
  const response = await request(url, { headers: { host } });
  return { status: response.statusCode, body: await response.body.text() };
};

describe('the load-balancer format: the load-balancer config, with its test backend', () => {
  let directory: string;
  let configFile: string;
  let backend: RunningProcess;
  let proxy: RunningProxy;
  let portA: number;
  let portB: number;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'lb-'));
    [portA, portB] = [await freePort(), await freePort()];
    const text = await readFile(EXAMPLE, 'utf8');
    // Only the backend ports move (9090 and 9091 may be taken); the proxy's port is given with --port.
    const moved = text.replace('port: 9090', `port: ${portA}`).replace('port: 9091', `port: ${portB}`);
    configFile = join(directory, 'config.yaml');
    await writeFile(configFile, moved);
    backend = await startBackend(configFile);
    proxy = await startProxy(moved);
  });
  after(async () => {
    await proxy?.stop();
    await backend?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('the test backend listens on every backend address, each answering with its own', async () => {
    for (const port of [portA, portB]) {
      assert.deepEqual(await get(`http://127.0.0.1:${port}/`), {
        status: 200,
        body: `service: my-service, addr: 127.0.0.1:${port}\n`,
      });
    }
  });

  it("routes by the request's domain, spreading requests at random over the service's backends", async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 60 && seen.size < 2; i++) {
      const answer = await get(`${proxy.url}/path?x=${i}`);
      assert.equal(answer.status, 200);
      seen.set(answer.body, (seen.get(answer.body) ?? 0) + 1);
    }
    assert.deepEqual(
      [...seen.keys()].sort(),
      [portA, portB].map((port) => `service: my-service, addr: 127.0.0.1:${port}\n`).sort(),
    );
    assert.equal((await get(`${proxy.url}/`, `${HOST}:8080`)).status, 200, 'the port in Host is ignored');
  });

  it('answers 404 for a domain it does not serve', async () => {
    const answer = await get(`${proxy.url}/`, 'other.example.com');
    assert.equal(answer.status, 404);
    assert.match(answer.body, /no route matches/);
  });

  it('has per-service and per-target latency histograms, and the latency the proxy added', async () => {
    const page = await proxy.metrics();
    assert.ok((sample(page, 'proxy_request_duration_seconds_count', { route: 'my-service' }) ?? 0) >= 2);
    for (const port of [portA, portB]) {
      const target = `http://127.0.0.1:${port}`;
      assert.ok(
        (sample(page, 'proxy_upstream_attempt_duration_seconds_count', { route: 'my-service', target }) ??
          0) >= 1,
      );
      assert.ok(
        (sample(page, 'proxy_upstream_attempts_total', { route: 'my-service', target, code: '200' }) ?? 0) >=
          1,
      );
      assert.equal(sample(page, 'proxy_upstream_target_up', { route: 'my-service', target }), 1);
    }
    assert.ok(
      (sample(page, 'proxy_added_latency_seconds_bucket', { route: 'my-service', le: '+Inf' }) ?? 0) >= 2,
    );
    assert.equal(
      sample(page, 'proxy_responses_total', { route: 'no_route', code_class: '4xx', decided_by: 'no_route' }),
      1,
    );
  });
});

describe('the load-balancer format: balancing strategies and target health', () => {
  let directory: string;
  let backend: RunningProcess;
  let up: string[];
  let dead: string;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'lb-'));
    const [a, b] = [await freePort(), await freePort()];
    up = [`http://127.0.0.1:${a}`, `http://127.0.0.1:${b}`];
    // Nothing listens there: every connection is refused.
    dead = `http://127.0.0.1:${await freePort()}`;
    const file = join(directory, 'backends.yaml');
    await writeFile(file, `routes:\n  - name: be\n    upstream:\n      targets: [${up.join(', ')}]\n`);
    backend = await startBackend(file);
  });
  after(async () => {
    await backend?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('round-robin takes the targets in turn', async () => {
    const proxy = await startProxy(
      `routes:\n  - name: rr\n    upstream: { targets: [${up.join(', ')}], balancer: round-robin }\n`,
    );
    try {
      const bodies: string[] = [];
      for (let i = 0; i < 4; i++) bodies.push((await get(`${proxy.url}/`)).body);
      assert.notEqual(bodies[0], bodies[1]);
      assert.deepEqual(bodies.slice(2), bodies.slice(0, 2));
    } finally {
      await proxy.stop();
    }
  });

  it('least-request (power of two choices) spreads over the targets', async () => {
    const proxy = await startProxy(
      `routes:\n  - name: lr\n    upstream: { targets: [${up.join(', ')}], balancer: least-request }\n`,
    );
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => get(`${proxy.url}/?delay=20`)));
      assert.ok(answers.every((answer) => answer.status === 200));
      assert.equal(new Set(answers.map((answer) => answer.body)).size, 2);
    } finally {
      await proxy.stop();
    }
  });

  it('takes a failing target out after 5 failures in a row (its open circuit), so requests stop going there', async () => {
    const port = (url: string) => new URL(url).port;
    const proxy = await startProxy(
      `proxy:
  services:
    - name: ej
      domain: ${HOST}
      strategy: round-robin
      hosts:
        - { address: 127.0.0.1, port: ${port(up[0] as string)} }
        - { address: 127.0.0.1, port: ${port(dead)} }
`,
    );
    try {
      for (let i = 0; i < 16; i++)
        assert.equal((await get(`${proxy.url}/`)).status, 200, 'the retry covers the dead one');
      const page = await proxy.metrics();
      assert.equal(sample(page, 'proxy_upstream_target_up', { route: 'ej', target: dead }), 0);
      assert.equal(sample(page, 'proxy_circuit_state', { route: 'ej', target: dead }), 2);
      assert.equal(
        sample(page, 'proxy_circuit_transitions_total', { route: 'ej', target: dead, to: 'open' }),
        1,
      );
      assert.equal(sample(page, 'proxy_route_circuit_state', { route: 'ej' }), 0, 'the other admits');
      const failures = (metrics: string) =>
        sample(metrics, 'proxy_upstream_attempts_total', {
          route: 'ej',
          target: dead,
          code: 'connect_failure',
        });
      assert.equal(failures(page), 5, 'exactly consecutiveFailures tries went to the dead target');
      for (let i = 0; i < 4; i++) assert.equal((await get(`${proxy.url}/`)).status, 200);
      assert.equal(failures(await proxy.metrics()), 5, 'none since its circuit opened (for 30 s)');
    } finally {
      await proxy.stop();
    }
  });

  it('takes a target out when it fails its active health checks', async () => {
    const proxy = await startProxy(
      `routes:
  - name: hc
    upstream:
      targets: [${up[0]}, ${dead}]
      health: { active: { path: /healthz, interval: 100ms, timeout: 500ms, unhealthyThreshold: 2 } }
`,
    );
    try {
      await eventually(async () => {
        const page = await proxy.metrics();
        assert.equal(sample(page, 'proxy_upstream_target_up', { route: 'hc', target: dead }), 0);
        assert.equal(sample(page, 'proxy_upstream_target_up', { route: 'hc', target: up[0] as string }), 1);
      }, 10_000);
      for (let i = 0; i < 6; i++) assert.equal((await get(`${proxy.url}/`)).status, 200);
      const page = await proxy.metrics();
      assert.ok(
        (sample(page, 'proxy_upstream_health_checks_total', { route: 'hc', target: dead, result: 'fail' }) ??
          0) >= 2,
      );
    } finally {
      await proxy.stop();
    }
  });
});
