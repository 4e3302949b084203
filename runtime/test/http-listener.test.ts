import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CONNECTIONS_CHECKING_INTERVAL_MS, refuseTunnels } from '../src/http-listener.ts';

/** Writes `text` on a raw connection and resolves with everything the server sent until it closed. */
function exchange(port: number, text: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; received ${JSON.stringify(received)}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(text);
  });
}

describe('what every listener sets against odd clients', () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = createServer(
      {
        headersTimeout: 1000,
        requestTimeout: 5000,
        connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
      },
      (_request, response) => response.end('ok'),
    );
    refuseTunnels(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('CONNECT gets a 405 that says why, then the connection closes', async () => {
    const answer = await exchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    assert.match(answer, /CONNECT is not supported here/);
  });

  test('a head that never completes is answered 408 soon after headersTimeout, not up to 30 s later', async () => {
    const started = Date.now();
    const answer = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    // headersTimeout (1 s) plus at most one checking interval, and slack for a loaded machine.
    assert.ok(
      Date.now() - started < 1000 + CONNECTIONS_CHECKING_INTERVAL_MS + 3000,
      `${Date.now() - started} ms`,
    );
  });

  test('ordinary requests are unaffected', async () => {
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'ok');
  });
});
