// Drain under keep-alive load: no request a client sent is dropped. Every response during the drain
// says Connection: close; connections close only once idle for the grace period; exit within the bound.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { drainHttpServer } from '../src/lifecycle.ts';
import { startKeepAliveLoad } from '../testing/keep-alive.ts';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('drainHttpServer under keep-alive load', () => {
  test('50 busy keep-alive connections: zero dropped, every connection told to close', async () => {
    // Each answer takes a few milliseconds, so requests are in flight when the drain starts.
    const server = createServer((_request, response) => {
      setTimeout(() => response.end('ok'), 2);
    });
    server.keepAliveTimeout = 60_000;
    const port = await listen(server);
    const load = startKeepAliveLoad({ port, connections: 50, maxMs: 10_000 });
    await load.established();
    await sleep(200);
    const started = Date.now();
    load.markStop();
    await drainHttpServer(server, Date.now() + 5000);
    const drainMs = Date.now() - started;
    const report = await load.finish();
    assert.equal(report.dropped, 0, JSON.stringify(report));
    assert.equal(report.answered, report.sent, JSON.stringify(report));
    assert.ok(report.sent > 100, `enough traffic: ${JSON.stringify(report)}`);
    assert.equal(report.closing, 50, `each busy connection got Connection: close: ${JSON.stringify(report)}`);
    assert.ok(drainMs < 5000, `drained in ${drainMs} ms`);
  });

  test('an idle keep-alive connection is closed only after the grace period', async () => {
    const server = createServer((_request, response) => response.end('ok'));
    server.keepAliveTimeout = 60_000;
    const port = await listen(server);
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let i = 0; i < 200 && !received.includes('ok'); i++) await sleep(5);
    const started = Date.now();
    const drained = drainHttpServer(server, started + 4000, { idleGraceMs: 300 });
    // Within the grace a request on the idle connection is still answered, and told to close.
    await sleep(100);
    received = '';
    socket.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
    await drained;
    const closedAt = await closed;
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /\r\nconnection: close\r\n/i);
    assert.ok(closedAt - started < 4000);
  });

  test('a connection idle since the drain began is closed after the grace, not at once', async () => {
    const server = createServer((_request, response) => response.end('ok'));
    server.keepAliveTimeout = 60_000;
    const port = await listen(server);
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    const started = Date.now();
    await drainHttpServer(server, started + 4000, { idleGraceMs: 300 });
    const waited = (await closed) - started;
    assert.ok(waited >= 280 && waited < 2000, `closed after ${waited} ms`);
  });
});
