// Forwarding correctness through the real bin: header hygiene, X-Forwarded-*, bodies, error mapping.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@sre-stack/runtime/testing';
import {
  accessLines,
  type RunningProxy,
  startProxy,
  startUpstream,
  type Upstream,
} from '../helpers/proxy.ts';

/**
 * A raw HTTP/1.1 exchange, for what fetch would not send (hop-by-hop headers, smuggling attempts). The
 * request must make the server close the connection (Connection: close, or an error).
 */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
  });
}

describe('forwarding', () => {
  let upstream: Upstream;
  let proxy: RunningProxy;

  before(async () => {
    upstream = await startUpstream('main');
    proxy = await startProxy(`
upstreams:
  main:
    targets: [${upstream.url}]
  nowhere:
    targets: [http://127.0.0.1:1]
  empty:
    targets: []
routes:
  - name: hello
    match: { path: /hello, methods: [GET, HEAD] }
    static: { body: "Hello SRE!", headers: { x-static: yes } }
  - name: refused
    match: { pathPrefix: /refused }
    upstream: nowhere
    policies: { retry: { retries: 0 } }
  - name: empty
    match: { pathPrefix: /empty }
    upstream: empty
  - name: rewritten
    match: { pathPrefix: /api/ }
    upstream: main
    rewrite:
      stripPrefix: /api
      host: backend.internal
      requestHeaders: { set: { x-added: "1", authorization: "Bearer secret-token" }, remove: [x-drop-me] }
      responseHeaders: { set: { x-served-by: proxy }, remove: [x-upstream-name] }
  - name: main
    match: { pathPrefix: /echo }
    upstream: main
  - name: status
    match: { pathPrefix: /status/ }
    upstream: main
`);
  });

  after(async () => {
    await proxy?.stop();
    await upstream?.stop();
  });

  it('strips hop-by-hop headers both ways, appends X-Forwarded-*, keeps Host and end-to-end headers', async () => {
    const response = await raw(
      proxy.port,
      [
        'GET /echo?x=1 HTTP/1.1',
        'Host: shop.example:8000',
        'Connection: close, x-hop',
        'X-Hop: must-go',
        'Keep-Alive: timeout=5',
        'TE: trailers',
        'RunningProxy-Authorization: Basic abc',
        'Upgrade: websocket',
        'X-Forwarded-For: 203.0.113.7',
        'X-Forwarded-Proto: https',
        'X-End-To-End: stays',
        'Cookie: a=1',
        '',
        '',
      ].join('\r\n'),
    );
    const [head = '', body = ''] = response.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1.1 200/);
    const echoed = JSON.parse(body) as { url: string; headers: Record<string, string> };
    assert.equal(echoed.url, '/echo?x=1');
    const headers = echoed.headers;
    for (const name of ['x-hop', 'keep-alive', 'te', 'proxy-authorization', 'upgrade']) {
      assert.equal(headers[name], undefined, `${name} must not be forwarded`);
    }
    assert.notEqual(headers.connection, 'close, x-hop');
    assert.equal(headers.host, 'shop.example:8000');
    assert.equal(headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'https, http');
    assert.equal(headers['x-forwarded-host'], 'shop.example:8000');
    assert.equal(headers['x-end-to-end'], 'stays');
    assert.equal(headers.cookie, 'a=1');
    assert.match(headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/, 'a trace starts here');
    assert.match(head, /\r\nx-proxy-attempts: 1\r\n/i);
    assert.match(head, /\r\nx-upstream-service-time: \d+\r\n/i);
  });

  it('drops hop-by-hop headers from the upstream response', async () => {
    const response = await fetch(
      `${proxy.url}/status/200?header=connection:x-secret&header=x-secret:1&header=keep-alive:timeout=1`,
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-secret'), null);
    assert.equal(response.headers.get('x-upstream-name'), 'main');
  });

  it('streams method and body unchanged, and the response back', async () => {
    const body = JSON.stringify({ hello: 'world', list: [1, 2, 3] });
    const response = await fetch(`${proxy.url}/echo`, {
      method: 'PATCH',
      body,
      headers: { 'content-type': 'application/json' },
    });
    const echoed = (await response.json()) as {
      method: string;
      body: { bytes: number };
      headers: Record<string, string>;
    };
    assert.equal(echoed.method, 'PATCH');
    assert.equal(echoed.body.bytes, Buffer.byteLength(body));
    assert.equal(echoed.headers['content-type'], 'application/json');
  });

  it('answers a static route locally', async () => {
    const response = await fetch(`${proxy.url}/hello`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'Hello SRE!');
    assert.equal(response.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(response.headers.get('x-static'), 'yes');
    assert.equal(response.headers.get('x-proxy-attempts'), null, 'no upstream was tried');
  });

  it('rewrites path, host and headers', async () => {
    const response = await fetch(`${proxy.url}/api/echo`, {
      headers: { 'x-drop-me': '1', authorization: 'Basic client' },
    });
    const echoed = (await response.json()) as { url: string; headers: Record<string, string> };
    assert.equal(echoed.url, '/echo');
    assert.equal(echoed.headers.host, 'backend.internal');
    assert.equal(echoed.headers['x-added'], '1');
    assert.equal(echoed.headers.authorization, 'Bearer secret-token', 'a set header replaces the client one');
    assert.equal(echoed.headers['x-drop-me'], undefined);
    assert.equal(response.headers.get('x-served-by'), 'proxy');
    assert.equal(response.headers.get('x-upstream-name'), null);
  });

  it('answers 502 when the upstream refuses connections, 503 when the group is empty, 404 without a route', async () => {
    const refused = await fetch(`${proxy.url}/refused`);
    assert.equal(refused.status, 502);
    assert.match(
      await refused.text(),
      /could not get a response from http:\/\/127\.0\.0\.1:1 \(connect ECONNREFUSED/,
    );
    const empty = await fetch(`${proxy.url}/empty`);
    assert.equal(empty.status, 503);
    assert.match(await empty.text(), /no targets/);
    const none = await fetch(`${proxy.url}/nothing-here`, { method: 'DELETE' });
    assert.equal(none.status, 404);
    assert.match(await none.text(), /no route matches DELETE \/nothing-here/);
    await eventually(() => {
      const decided = accessLines(proxy).map((line) => line.decided_by);
      for (const expected of ['upstream', 'no_upstream', 'no_route'])
        assert.ok(decided.includes(expected), expected);
    });
  });

  it('refuses request smuggling and oversized headers with the strict parser', async () => {
    const smuggled = await raw(
      proxy.port,
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n',
    );
    assert.match(smuggled, /^HTTP\/1.1 400/);
    const huge = await raw(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1.1 431/);
  });

  it('HEAD gets the head and no body', async () => {
    const response = await new Promise<{ status: number; length: string | undefined; bytes: number }>(
      (resolve, reject) => {
        const req = request(`${proxy.url}/status/200`, { method: 'HEAD' }, (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, length: res.headers['content-length'], bytes }),
          );
        });
        req.on('error', reject);
        req.end();
      },
    );
    assert.equal(response.status, 200);
    assert.equal(response.bytes, 0);
    assert.equal(response.length, '11');
  });

  it('the admin port serves health, readiness and the config with secrets redacted', async () => {
    assert.equal((await fetch(`${proxy.adminUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${proxy.adminUrl}/readyz`)).status, 200);
    const config = (await (await fetch(`${proxy.adminUrl}/config`)).json()) as { config: unknown };
    const text = JSON.stringify(config);
    assert.ok(!text.includes('secret-token'), 'the authorization value is redacted');
    assert.match(text, /"authorization":"\[redacted\]"/);
    assert.match(text, /"name":"rewritten"/);
  });
});
