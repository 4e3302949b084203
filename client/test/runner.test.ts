// The runner against fixture servers on loopback: phases, assertions and the closed error list.
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@sre-stack/runtime/testing';
import { systemClock } from '../src/clock.ts';
import { HttpTransport } from '../src/runner/http.ts';
import { runDefinition } from '../src/runner/run.ts';
import type { Definition, RequestSpec, RunResult } from '../src/types.ts';
import { probeDefinition } from './helpers/definitions.ts';
import { type Fixture, json, reset, startFixture, text } from './helpers/fixtures.ts';

function run(definition: Definition): Promise<RunResult> {
  return runDefinition(definition, {
    request: definition.requests[0] as RequestSpec,
    transport: new HttpTransport(definition.tls),
    plannedAt: systemClock.now(),
    now: systemClock.now,
    location: 'test',
    report: () => {},
  });
}

describe('runner', () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await startFixture({
      '/status': text('OK'),
      '/down': text('Service Unavailable', 503),
      '/slow': text('late', 200, 3000),
      '/sluggish': text('OK', 200, 150),
      '/reset': reset,
      '/json': json({ flaky: false, code: 200 }),
      '/big': (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        response.end(Buffer.alloc(3 * 1024 * 1024, 0x61));
      },
      '/echo': (request, response) => {
        let body = '';
        request.on('data', (chunk) => {
          body += chunk;
        });
        request.on('end', () => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify({ method: request.method, body, type: request.headers['content-type'] }),
          );
        });
      },
    });
  });
  after(() => fixture.close());

  it('reports a success with status, assertions and every phase', async () => {
    const result = await run(
      probeDefinition({
        name: 's',
        url: `http://localhost:${fixture.port}/status`,
        expect: { body: { contains: 'OK' } },
      }),
    );
    assert.equal(result.success, true, JSON.stringify(result));
    assert.equal(result.statusCode, 200);
    assert.equal(result.errorType, undefined);
    assert.deepEqual(
      result.assertions.map((assertion) => [assertion.name, assertion.ok]),
      [
        ['status', true],
        ['body.contains', true],
      ],
    );
    assert.deepEqual(Object.keys(result.phases), ['resolve', 'connect', 'tls', 'processing', 'transfer']);
    assert.ok(result.phases.resolve > 0, 'localhost is resolved, so resolve takes some time');
    assert.ok(result.phases.connect > 0);
    assert.equal(result.phases.tls, 0);
    assert.ok(result.durationMs >= result.phases.processing);
  });

  it('classifies an unexpected status as http_status', async () => {
    const result = await run(probeDefinition({ name: 'd', url: `${fixture.url}/down` }));
    assert.equal(result.success, false);
    assert.equal(result.statusCode, 503);
    assert.equal(result.errorType, 'http_status');
    assert.equal(result.error, 'status 503, expected 2xx');
  });

  it('accepts what expect.status allows', async () => {
    const result = await run(
      probeDefinition({ name: 'd', url: `${fixture.url}/down`, expect: { status: ['5xx'] } }),
    );
    assert.equal(result.success, true);
  });

  it('classifies a closed port as connection_refused', async () => {
    const port = await freePort();
    const result = await run(probeDefinition({ name: 'c', url: `http://127.0.0.1:${port}/` }));
    assert.equal(result.errorType, 'connection_refused');
    assert.equal(result.statusCode, undefined);
    assert.match(result.error ?? '', /ECONNREFUSED/);
  });

  it('classifies a slow endpoint as timeout, bounded by the timeout', async () => {
    const result = await run(
      probeDefinition({ name: 't', url: `${fixture.url}/slow`, every: '2s', timeout: '300ms' }),
    );
    assert.equal(result.errorType, 'timeout');
    assert.equal(result.error, 'no complete response within 300ms');
    assert.ok(result.durationMs < 2500, `the run must end at the timeout, took ${result.durationMs}`);
    assert.ok(result.phases.processing > 0, 'the time went into waiting for the answer');
    assert.equal(result.phases.transfer, 0);
  });

  it('classifies a dropped connection as reset', async () => {
    const result = await run(probeDefinition({ name: 'r', url: `${fixture.url}/reset` }));
    assert.equal(result.errorType, 'reset', result.error);
  });

  it('classifies a failed handshake as tls', async () => {
    const result = await run(probeDefinition({ name: 'x', url: `https://127.0.0.1:${fixture.port}/status` }));
    assert.equal(result.errorType, 'tls', result.error);
  });

  it('classifies a connection closed mid-handshake by a raw TCP server', async () => {
    const tcp = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const { port } = tcp.address() as { port: number };
    try {
      const result = await run(probeDefinition({ name: 'y', url: `http://127.0.0.1:${port}/` }));
      assert.equal(result.errorType, 'reset', result.error);
    } finally {
      tcp.close();
    }
  });

  it('ends at the timeout while the TLS handshake hangs, and lets the connection go', {
    timeout: 10_000,
  }, async () => {
    // Accepts the connection, reads the ClientHello and never answers: the run is still connecting
    // when its timeout comes. Reading is what lets this side see the prober close the connection.
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {}).resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const result = await run(
        probeDefinition({ name: 'h', url: `https://127.0.0.1:${port}/`, every: '5s', timeout: '300ms' }),
      );
      assert.equal(result.errorType, 'timeout', result.error);
      assert.equal(result.error, 'no complete response within 300ms');
      assert.ok(result.durationMs < 2000, `the run must end at the timeout, took ${result.durationMs}`);
      assert.ok(result.phases.tls > 0, 'the time went into the handshake');
      const closed = sockets.map((socket) =>
        socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', resolve)),
      );
      await Promise.race([
        Promise.all(closed),
        new Promise((_, reject) => setTimeout(() => reject(new Error('connection left open')), 2000)),
      ]);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('fails a latency assertion as assertion_failed', async () => {
    const result = await run(
      probeDefinition({ name: 'l', url: `${fixture.url}/sluggish`, expect: { maxLatency: '50ms' } }),
    );
    assert.equal(result.statusCode, 200);
    assert.equal(result.errorType, 'assertion_failed');
    assert.equal(result.assertions.find((assertion) => assertion.name === 'latency')?.ok, false);
  });

  it('fails body assertions as assertion_failed, with what was seen', async () => {
    const result = await run(
      probeDefinition({
        name: 'b',
        url: `${fixture.url}/json`,
        expect: {
          body: {
            contains: 'nope',
            json: [
              { path: '$.flaky', equals: false },
              { path: '$.code', equals: 500 },
            ],
          },
        },
      }),
    );
    assert.equal(result.errorType, 'assertion_failed');
    assert.deepEqual(
      result.assertions.map((assertion) => [assertion.name, assertion.ok]),
      [
        ['status', true],
        ['body.contains', false],
        ['body.json', true],
        ['body.json', false],
      ],
    );
    assert.equal(result.error, 'body.contains: expected contains "nope"; body.json: expected $.code == 500');
  });

  it('reads big bodies to the end and still checks the start of them', async () => {
    const result = await run(
      probeDefinition({ name: 'g', url: `${fixture.url}/big`, expect: { body: { regex: '^a+$' } } }),
    );
    assert.equal(result.success, true, result.error);
    assert.ok(result.phases.transfer > 0);
  });

  it('sends method, headers and a JSON body', async () => {
    const result = await run(
      probeDefinition({
        name: 'e',
        url: `${fixture.url}/echo`,
        method: 'POST',
        headers: { 'X-Probe': 'yes' },
        body: { hello: 'world' },
        expect: {
          body: {
            json: [
              { path: '$.method', equals: 'POST' },
              { path: '$.body', equals: '{"hello":"world"}' },
              { path: '$.type', equals: 'application/json' },
            ],
          },
        },
      }),
    );
    assert.equal(result.success, true, result.error);
    const seen = fixture.requests.find((request) => request.url === '/echo');
    assert.equal(seen?.headers['x-probe'], 'yes');
    assert.equal(seen?.headers['user-agent'], 'sre-stack-prober/0.1');
  });

  it('opens a fresh connection for every run', async () => {
    const definition = probeDefinition({ name: 'f', url: `${fixture.url}/status` });
    const ports = new Set<number>();
    const onConnection = (socket: { remotePort?: number }) => ports.add(socket.remotePort ?? 0);
    fixture.server.on('connection', onConnection);
    try {
      for (let i = 0; i < 3; i++) {
        const result = await run(definition);
        assert.ok(result.phases.connect > 0, 'every run measures its own connect');
      }
    } finally {
      fixture.server.off('connection', onConnection);
    }
    assert.equal(ports.size, 3);
  });

  it('closes its connection once the run is over, whether it succeeded or failed', async () => {
    // A success, an unexpected status, and a timeout (the run gives up while the server still holds the request).
    for (const path of ['/status', '/down', '/sluggish']) {
      const definition = probeDefinition({ name: 'c', url: `${fixture.url}${path}`, timeout: '50ms' });
      let closed: Promise<void> | undefined;
      const onConnection = (socket: { once(event: 'close', listener: () => void): unknown }) => {
        closed = new Promise((resolve) => socket.once('close', () => resolve()));
      };
      fixture.server.once('connection', onConnection);
      await run(definition);
      assert.ok(closed, 'the run connected');
      const timeout = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 2000).unref());
      assert.equal(await Promise.race([closed.then(() => 'closed' as const), timeout]), 'closed', path);
    }
  });

  it("gives every run of a probe a connection of its own, through the probe's one transport", async () => {
    const transport = new HttpTransport({ insecureSkipVerify: false });
    const runOn = (path: string, timeout = '1s') => {
      const definition = probeDefinition({ name: 't', url: `${fixture.url}${path}`, timeout });
      return runDefinition(definition, {
        request: definition.requests[0] as RequestSpec,
        transport,
        plannedAt: systemClock.now(),
        now: systemClock.now,
        location: 'test',
        report: () => {},
      });
    };
    let connections = 0;
    const count = () => connections++;
    fixture.server.on('connection', count);
    try {
      // In a row, after a failure (a reset, then a timeout), and two at once.
      const results = [
        await runOn('/status'),
        await runOn('/status'),
        await runOn('/reset'),
        await runOn('/status'),
        await runOn('/sluggish', '50ms'),
        await runOn('/status'),
        ...(await Promise.all([runOn('/status'), runOn('/status')])),
      ];
      assert.deepEqual(
        results.map((result) => result.success),
        [true, true, false, true, false, true, true, true],
      );
      assert.equal(connections, results.length, 'one connection per run');
      for (const result of results.filter((entry) => entry.success))
        assert.ok(result.phases.connect > 0, 'each run timed its own connect');
    } finally {
      fixture.server.off('connection', count);
      transport.close();
    }
  });
});
