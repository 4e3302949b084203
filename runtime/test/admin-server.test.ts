import assert from 'node:assert/strict';
import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type AdminServer, sendJson, startAdminServer } from '../src/admin-server.ts';
import { createLogger } from '../src/logger.ts';
import { untracedPorts } from '../src/telemetry/state.ts';

/** A logger whose JSON lines the test can read back. */
function capturedLogger() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { logger: createLogger({ service: 'admin-test', format: 'json', destination: stream }), lines };
}

describe('startAdminServer', () => {
  const { logger, lines } = capturedLogger();
  let ready = true;
  let admin: AdminServer;
  let base: string;

  before(async () => {
    admin = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      isReady: () => ready,
      routes: {
        '/probes': (_request, response) => sendJson(response, 200, { probes: ['a', 'b'] }),
        '/badges/*': (request, response) => sendJson(response, 200, { path: request.url }),
        '/broken': async () => {
          throw new Error('route exploded');
        },
        '/broken-sync': () => {
          throw new Error('sync route exploded');
        },
        '/half-written': (_request, response) => {
          response.writeHead(200, { 'content-type': 'text/plain' });
          response.write('partial');
          throw new Error('failed mid-body');
        },
      },
    });
    base = `http://127.0.0.1:${admin.port}`;
  });
  after(() => admin.close());

  test('port 0 binds a free port and reports it', () => {
    assert.ok(admin.port > 0);
    assert.equal(admin.server.listening, true);
  });

  test('its port is marked untraced, so scrapes make no spans', () => {
    assert.ok(untracedPorts.has(admin.port));
  });

  test('/metrics serves OpenMetrics', async () => {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get('content-type'),
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    const body = await response.text();
    assert.match(body, /^process_cpu_user_seconds_total /m);
    assert.ok(body.endsWith('# EOF\n'));
  });

  test('HEAD /metrics answers without a body', async () => {
    const response = await fetch(`${base}/metrics`, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '');
  });

  test('/healthz is 200 while the process runs', async () => {
    const response = await fetch(`${base}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  test('/readyz follows isReady: 200 when ready, 503 when not', async () => {
    let response = await fetch(`${base}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ready' });
    ready = false;
    try {
      response = await fetch(`${base}/readyz`);
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), { status: 'not ready' });
      // Liveness is independent of readiness.
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
    } finally {
      ready = true;
    }
  });

  test('the query string does not change the route', async () => {
    assert.equal((await fetch(`${base}/healthz?verbose=1`)).status, 200);
  });

  test('service routes are served beside the built-in ones', async () => {
    const response = await fetch(`${base}/probes`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { probes: ['a', 'b'] });
  });

  test('a route ending in /* serves every path under it, and only those', async () => {
    const response = await fetch(`${base}/badges/a/status.svg?window=1h`);
    assert.deepEqual(await response.json(), { path: '/badges/a/status.svg?window=1h' });
    assert.equal((await fetch(`${base}/badges`)).status, 404);
    assert.equal((await fetch(`${base}/badgesx/a`)).status, 404);
    assert.equal((await fetch(`${base}/badges/a`, { method: 'POST' })).status, 405);
  });

  test('an unknown path is 404 with the list of routes', async () => {
    const response = await fetch(`${base}/nope`);
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: string; routes: string[] };
    assert.equal(body.error, 'no admin route /nope');
    for (const route of ['/metrics', '/healthz', '/readyz', '/probes'])
      assert.ok(body.routes.includes(route));
  });

  test('a method other than GET/HEAD is 405 with Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await fetch(`${base}/metrics`, { method });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get('allow'), 'GET, HEAD');
      assert.deepEqual(await response.json(), { error: `${method} not allowed on /metrics; use GET` });
    }
  });

  test('a route that throws is a 500 and a logged error, not a crash', async () => {
    for (const path of ['/broken', '/broken-sync']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 500, path);
      assert.deepEqual(await response.json(), { error: 'internal error' });
      const logged = lines.find((line) => line.msg === 'admin route failed' && line.path === path);
      assert.ok(logged, `error logged for ${path}`);
      assert.equal(logged.level, 'error');
      assert.match(String((logged.err as { message: string }).message), /exploded/);
    }
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'still serving');
  });

  test('a route that throws after the headers went out has its connection cut', async () => {
    // The client must see a broken response, never a truncated one that looks complete.
    const outcome = await new Promise<string>((resolve) => {
      const outgoing = request(`${base}/half-written`, (response) => {
        response.on('data', () => {});
        response.on('end', () => resolve('complete'));
        response.on('error', () => resolve('cut'));
        response.on('aborted', () => resolve('cut'));
      });
      outgoing.on('error', () => resolve('cut'));
      outgoing.end();
    });
    assert.equal(outcome, 'cut');
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'still serving');
  });
});

describe('startAdminServer options', () => {
  const { logger } = capturedLogger();

  test('without isReady, /readyz is 200', async () => {
    const admin = await startAdminServer({ port: 0, host: '127.0.0.1', logger });
    try {
      assert.equal((await fetch(`http://127.0.0.1:${admin.port}/readyz`)).status, 200);
    } finally {
      await admin.close();
    }
  });

  test('a service route may replace a built-in one', async () => {
    const admin = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      routes: { '/healthz': (_request, response) => sendJson(response, 200, { status: 'custom' }) },
    });
    try {
      const response = await fetch(`http://127.0.0.1:${admin.port}/healthz`);
      assert.deepEqual(await response.json(), { status: 'custom' });
    } finally {
      await admin.close();
    }
  });

  test('close() stops listening, even with a keep-alive connection open, and frees the port mark', async () => {
    const admin = await startAdminServer({ port: 0, host: '127.0.0.1', logger });
    await (await fetch(`http://127.0.0.1:${admin.port}/healthz`)).text();
    await admin.close();
    assert.equal(admin.server.listening, false);
    assert.ok(!untracedPorts.has(admin.port));
    await assert.rejects(fetch(`http://127.0.0.1:${admin.port}/healthz`));
  });

  test('a route may take more methods, and a key ending in /* matches the paths under it', async () => {
    const admin = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      routes: {
        '/things/*': {
          methods: ['GET', 'PUT'],
          handler: (request, response) =>
            sendJson(response, 200, { method: request.method, url: request.url }),
        },
      },
    });
    try {
      const base = `http://127.0.0.1:${admin.port}`;
      const put = await fetch(`${base}/things/a`, { method: 'PUT' });
      assert.deepEqual(await put.json(), { method: 'PUT', url: '/things/a' });
      const deleted = await fetch(`${base}/things/a`, { method: 'DELETE' });
      assert.equal(deleted.status, 405);
      assert.equal(deleted.headers.get('allow'), 'GET, PUT');
      assert.equal((await fetch(`${base}/thingsa`)).status, 404);
    } finally {
      await admin.close();
    }
  });

  test('a port in use is an error from startAdminServer', async () => {
    const first = await startAdminServer({ port: 0, host: '127.0.0.1', logger });
    try {
      await assert.rejects(startAdminServer({ port: first.port, host: '127.0.0.1', logger }), {
        code: 'EADDRINUSE',
      });
    } finally {
      await first.close();
    }
  });
});

describe('sendJson', () => {
  test('writes pretty JSON with a newline, content-type and content-length', async () => {
    const { logger } = capturedLogger();
    const admin = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      routes: { '/json': (_request, response) => sendJson(response, 418, { tea: 'ünïcode' }) },
    });
    try {
      const response = await fetch(`http://127.0.0.1:${admin.port}/json`);
      const text = await response.text();
      assert.equal(response.status, 418);
      assert.equal(text, '{\n  "tea": "ünïcode"\n}\n');
      assert.equal(Number(response.headers.get('content-length')), Buffer.byteLength(text));
    } finally {
      await admin.close();
    }
  });
});
