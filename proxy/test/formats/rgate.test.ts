// The rgate format: `rgate --port … --config …` with its spec's config verbatim, against a real Docker
// Engine API (Podman's): containers picked by label, followed as they start and stop, default_response,
// 503, /stats, and requests forwarded unchanged.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, freePort, type RunningProcess, startProcess } from '@sre-stack/runtime/testing';
import { type DockerApi, requirePodman, startDockerApi } from '../helpers/podman.ts';
import { sample } from '../helpers/proxy.ts';

const RGATE_BIN = new URL('../../bin/rgate.mjs', import.meta.url).pathname;
const PROXY_BIN = new URL('../../bin/proxy.mjs', import.meta.url).pathname;
const EXAMPLE = new URL('../../../examples/rgate.yml', import.meta.url).pathname;
const production = (app: string, port: number) => ({
  app_name: app,
  env: 'production',
  'rgate.port': String(port),
});

// busybox httpd passes a CGI's header lines through as written: they must end in CRLF.
const ECHO_CGI = `#!/bin/busybox sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo "method=$REQUEST_METHOD"
echo "uri=$REQUEST_URI"
echo "xff=$HTTP_X_FORWARDED_FOR"
echo "custom=$HTTP_X_CUSTOM"
echo "body=$(/bin/busybox head -c "\${CONTENT_LENGTH:-0}")"
`;

interface Rgate {
  process: RunningProcess;
  url: string;
  adminUrl: string;
}

async function startRgate(config: string, dockerHost: string): Promise<Rgate> {
  const process = startProcess(RGATE_BIN, {
    args: ['--port', '0', '--metrics-port', '0', '--config', config],
    env: { DOCKER_HOST: dockerHost, OTEL_SDK_DISABLED: 'true' },
  });
  const line = await process.waitForLine((entry) => entry.msg === 'listening', 30_000);
  return { process, url: `http://127.0.0.1:${line.port}`, adminUrl: `http://127.0.0.1:${line.metrics_port}` };
}

describe('the rgate format: rgate on a real Docker Engine API (podman)', () => {
  let api: DockerApi | undefined;
  let rgate: Rgate | undefined;
  /** Every status rgate answered (but /stats), to compare with what /stats says. */
  const answered: number[] = [];
  const followMs: number[] = [];

  const request = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${rgate!.url}${path}`, init);
    const body = await response.text();
    answered.push(response.status);
    return { status: response.status, body, headers: response.headers };
  };

  before(async () => {
    try {
      requirePodman({ skip() {} } as never);
    } catch {
      return;
    }
    api = await startDockerApi();
    rgate = await startRgate(EXAMPLE, api.dockerHost);
  });
  after(async () => {
    await rgate?.process.stop();
    await api?.stop();
    if (followMs.length > 0)
      process.stdout.write(`# rgate followed containers in ${followMs.map(Math.round).join(', ')} ms\n`);
  });

  it('answers default_response to what no route matches, and 503 while a backend has no container', async (t) => {
    if (!requirePodman(t) || !rgate) return;
    const unmatched = await request('/somewhere/else');
    assert.equal(unmatched.status, 403);
    assert.equal(unmatched.body, 'This is not reachable');
    const payment = await request('/api/payment');
    assert.equal(payment.status, 503);
    assert.match(payment.body, /has no targets/);
  });

  it('routes a path prefix to the containers carrying all the labels, picked at random, followed as they come and go', async (t) => {
    if (!requirePodman(t) || !api || !rgate) return;
    const [portA, portB, portStaging] = [await freePort(), await freePort(), await freePort()];
    const files = (name: string) => ({ 'api/payment': `${name}\n`, 'api/payment-extra': 'extra\n' });
    const a = await api.runWebServer('payment-a', portA, production('payment', portA), files('payment-a'));
    // The wrong environment: never picked.
    await api.runWebServer(
      'payment-staging',
      portStaging,
      { app_name: 'payment', env: 'staging', 'rgate.port': String(portStaging) },
      files('staging'),
    );
    let started = performance.now();
    await eventually(async () => assert.equal((await request('/api/payment')).body, 'payment-a\n'), 15_000);
    followMs.push(performance.now() - started);
    await api.runWebServer('payment-b', portB, production('payment', portB), files('payment-b'));
    const seen = new Set<string>();
    await eventually(
      async () => {
        seen.add((await request('/api/payment')).body);
        assert.deepEqual([...seen].sort(), ['payment-a\n', 'payment-b\n']);
      },
      20_000,
      10,
    );
    assert.equal((await request('/api/payment-extra')).body, 'extra\n', 'the path is forwarded unchanged');
    await api.remove(a);
    started = performance.now();
    await eventually(async () => {
      for (let i = 0; i < 10; i++) assert.equal((await request('/api/payment')).body, 'payment-b\n');
    }, 15_000);
    followMs.push(performance.now() - started);
    const orders = await request('/api/orders/1');
    assert.equal(orders.status, 503, 'orders has no container');
  });

  it('answers 503 when the container cannot be reached', async (t) => {
    if (!requirePodman(t) || !api || !rgate) return;
    const [serving, labelled] = [await freePort(), await freePort()];
    // The label points at a port nothing listens on.
    const id = await api.runWebServer('orders-wrong-port', serving, production('orders', labelled));
    try {
      await eventually(async () => {
        const response = await request('/api/orders');
        assert.equal(response.status, 503);
        assert.match(response.body, /could not get a response/);
      }, 15_000);
    } finally {
      await api.remove(id);
    }
  });

  it('forwards method, path, query, headers and body unchanged, adding X-Forwarded-For', async (t) => {
    if (!requirePodman(t) || !api) return;
    const directory = await mkdtemp(join(tmpdir(), 'rgate-echo-'));
    const config = join(directory, 'config.yml');
    await writeFile(
      config,
      'routes:\n  - path_prefix: /cgi-bin/\n    backend: echo\nbackends:\n  - name: echo\n    match_labels:\n      - app_name=echo\n',
    );
    const port = await freePort();
    await api.runWebServer(
      'echo',
      port,
      { app_name: 'echo', 'rgate.port': String(port) },
      { 'cgi-bin/echo': ECHO_CGI },
    );
    const echo = await startRgate(config, api.dockerHost);
    try {
      const body = await eventually(async () => {
        const response = await fetch(`${echo.url}/cgi-bin/echo?q=1&r=two`, {
          method: 'POST',
          headers: { 'x-custom': 'kept as is', 'x-forwarded-for': '203.0.113.7' },
          body: 'the request body',
        });
        const text = await response.text();
        assert.equal(response.status, 200, text);
        return text;
      }, 15_000);
      assert.match(body, /^method=POST$/m);
      assert.match(body, /^uri=\/cgi-bin\/echo\?q=1&r=two$/m);
      assert.match(body, /^custom=kept as is$/m);
      assert.match(body, /^xff=203\.0\.113\.7, 127\.0\.0\.1$/m);
      assert.match(body, /^body=the request body$/m);
    } finally {
      await echo.process.stop();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('proxy --config takes the same file (in one process, whatever --workers says)', async (t) => {
    if (!requirePodman(t) || !api) return;
    const proxy = startProcess(PROXY_BIN, {
      args: ['--config', EXAMPLE, '--port', '0', '--metrics-port', '0', '--workers', '2'],
      env: { DOCKER_HOST: api.dockerHost, OTEL_SDK_DISABLED: 'true' },
    });
    try {
      const line = await proxy.waitForLine((entry) => entry.msg === 'listening', 30_000);
      assert.equal(line.workers, 1);
      assert.equal(line.config_format, 'rgate');
      assert.ok(proxy.lines.some((entry) => entry.msg === 'serving in one process'));
      const url = `http://127.0.0.1:${line.port}`;
      assert.equal((await fetch(`${url}/`)).status, 403);
      const stats = (await (await fetch(`${url}/stats`)).json()) as { requests_count: unknown };
      assert.deepEqual(
        stats.requests_count,
        { success: 0, error: 1 },
        'the 403 counts; reading /stats does not',
      );
    } finally {
      await proxy.stop();
    }
  });

  it('GET /stats: everything received so far, in exactly the shape its spec shows', async (t) => {
    if (!requirePodman(t) || !rgate) return;
    const response = await fetch(`${rgate.url}/stats`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const text = await response.text();
    assert.match(
      text,
      /^\{"requests_count":\{"success":\d+,"error":\d+\},"latency_ms":\{"average":\d+,"p95":\d+,"p99":\d+\}\}$/,
    );
    const stats = JSON.parse(text);
    assert.deepEqual(stats.requests_count, {
      success: answered.filter((status) => status >= 200 && status < 400).length,
      error: answered.filter((status) => status >= 400).length,
    });
    assert.ok(stats.latency_ms.average <= stats.latency_ms.p99);
    assert.ok(stats.latency_ms.p95 <= stats.latency_ms.p99);
    const metrics = await (await fetch(`${rgate.adminUrl}/metrics`)).text();
    assert.ok((sample(metrics, 'proxy_docker_events_total') ?? 0) > 0, 'container events were followed');
  });
});
