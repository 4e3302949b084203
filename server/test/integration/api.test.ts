// The whole API against the real bin: what a client of the original Go server would see, plus the additions.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { STATUS_CODES, statusText } from '../../src/status-codes.ts';
import { send } from '../http-client.ts';
import { accessLogLine, BIN, type RunningServer, startServer } from './server-process.ts';

const putJson = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'PUT',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('flaky-server bin: the API', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  it('GET /status answers 200 OK with the Go body and content type', async () => {
    const answer = await send(server.base, '/status');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'OK\n');
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
  });

  it('POST /status/{code}: 202 on change, 200 when unchanged, 400 with a reason otherwise', async () => {
    assert.deepEqual(
      await send(server.base, '/status/503', { method: 'POST' }).then((a) => [a.status, a.body]),
      [202, 'Accepted\n'],
    );
    assert.deepEqual(
      await send(server.base, '/status/503', { method: 'POST' }).then((a) => [a.status, a.body]),
      [200, 'OK\n'],
    );
    const status = await send(server.base, '/status');
    assert.deepEqual([status.status, status.body], [503, 'Service Unavailable\n']);
    for (const [code, reason] of [
      ['600', /600 is not a supported status code; use one of 100-103/],
      ['teapot', /"teapot" is not a number/],
    ]) {
      const refused = await send(server.base, `/status/${code}`, { method: 'POST' });
      assert.equal(refused.status, 400);
      assert.match(refused.body, /^Bad Request: /);
      assert.match(refused.body, reason as RegExp);
    }
  });

  it("answers every one of the 61 codes with Go's reason phrase (1xx as interim + 200)", async () => {
    for (const code of STATUS_CODES) {
      await send(server.base, `/status/${code}`, { method: 'POST' });
      const answer = await send(server.base, '/status');
      const informational = code >= 100 && code < 200;
      assert.equal(answer.status, informational ? 200 : code, String(code));
      const bodyless = code === 204 || code === 205 || code === 304;
      assert.equal(answer.body, bodyless ? '' : `${statusText(code)}\n`, String(code));
      if (informational && code !== 101) assert.deepEqual(answer.informational, [code]);
    }
    await send(server.base, '/status/200', { method: 'POST' });
  });

  it('HEAD /status is GET without a body', async () => {
    const answer = await send(server.base, '/status', { method: 'HEAD' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '');
    assert.equal(answer.headers['content-length'], '3');
  });

  it('405 with Allow on a wrong method, 404 on an unknown path', async () => {
    const wrong = await send(server.base, '/status', { method: 'POST' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET, HEAD, OPTIONS');
    assert.match(
      wrong.body,
      /^Method Not Allowed: POST is not allowed on \/status; allowed: GET, HEAD, OPTIONS/,
    );
    const wrongCode = await send(server.base, '/status/200', { method: 'PUT' });
    assert.equal(wrongCode.status, 405);
    assert.equal(wrongCode.headers.allow, 'POST, OPTIONS');
    const wrongFlaky = await send(server.base, '/flaky', { method: 'DELETE' });
    assert.equal(wrongFlaky.status, 405);
    assert.equal(wrongFlaky.headers.allow, 'GET, HEAD, POST, PUT, OPTIONS');
    const unknown = await send(server.base, '/metrics');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /^Not Found: no route for GET \/metrics; routes: /);
  });

  it('POST /flaky toggles flaky mode (202); flaky answers come from the list; off restores the code', async () => {
    await send(server.base, '/status/418', { method: 'POST' });
    const on = await send(server.base, '/flaky', { method: 'POST' });
    assert.deepEqual([on.status, on.body, on.headers['x-flaky']], [202, 'Accepted\n', 'on']);
    // Keep it quick: no delay for this check.
    await send(server.base, '/flaky', putJson({ latency: { distribution: 'fixed', delay: '0ms' } }));
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const answer = await send(server.base, '/status');
      assert.ok(STATUS_CODES.includes(answer.status) || answer.status === 200, String(answer.status));
      seen.add(answer.status);
    }
    assert.ok(seen.size > 1, `20 flaky answers should not all be the same code: ${[...seen]}`);
    const log = await accessLogLine(server, (line) => line.flaky === true);
    assert.equal(log.injected, true);
    const off = await send(server.base, '/flaky', { method: 'POST' });
    assert.deepEqual([off.status, off.headers['x-flaky']], [202, 'off']);
    assert.equal((await send(server.base, '/status')).status, 418);
    await send(server.base, '/flaky', putJson({}));
    await send(server.base, '/status/200', { method: 'POST' });
  });

  it('GET /flaky shows the state; PUT /flaky sets the profile and can switch flaky mode', async () => {
    const state = JSON.parse((await send(server.base, '/flaky')).body);
    assert.deepEqual(
      { ...state, profile: { ...state.profile, codes: state.profile.codes.length } },
      {
        flaky: false,
        status_code: 200,
        profile: {
          error_probability: 1,
          latency: { distribution: 'uniform', min: '0ms', max: '500ms' },
          codes: 61,
        },
        pinned_until: null,
      },
    );
    const put = await send(
      server.base,
      '/flaky',
      putJson({
        enabled: true,
        error_probability: 0,
        latency: { distribution: 'normal', mean: '20ms', stddev: '5ms', max: '50ms' },
      }),
    );
    assert.equal(put.status, 200);
    const next = JSON.parse(put.body);
    assert.equal(next.flaky, true);
    assert.deepEqual(next.profile.latency, {
      distribution: 'normal',
      mean: '20ms',
      stddev: '5ms',
      min: '0ms',
      max: '50ms',
    });
    // Error probability 0: flaky mode only adds latency, the steady code stays.
    for (let i = 0; i < 5; i++) assert.equal((await send(server.base, '/status')).status, 200);
    await send(server.base, '/flaky', putJson({ enabled: false }));
  });

  it('PUT /flaky refuses bad input: 400 naming fields, invalid JSON, 415, 413', async () => {
    const invalid = await send(
      server.base,
      '/flaky',
      // 900h is over both bounds (60s here, 596h for any duration): one issue, the field's own.
      putJson({ latency: { distribution: 'fixed', delay: '900h' }, codes: [999] }),
    );
    assert.equal(invalid.status, 400);
    assert.deepEqual(JSON.parse(invalid.body), {
      error: 'invalid chaos profile',
      issues: [
        { field: 'latency.delay', message: 'must be at most 60s' },
        {
          field: 'codes[0]',
          message:
            '999 is not a supported status code; use one of 100-103, 200-208, 226, 300-305, 307, 308, 400-418, 421-424, 426, 428, 429, 431, 451, 500-508, 510, 511',
        },
      ],
    });
    const notJson = await send(server.base, '/flaky', putJson('{"enabled": tru'));
    assert.equal(notJson.status, 400);
    assert.match(JSON.parse(notJson.body).error, /^invalid JSON/);
    const wrongType = await send(server.base, '/flaky', {
      method: 'PUT',
      headers: { 'content-type': 'text/yaml' },
      body: 'enabled: true',
    });
    assert.equal(wrongType.status, 415);
    const huge = await send(server.base, '/flaky', putJson(`{"x":"${'a'.repeat(100_000)}"}`));
    assert.equal(huge.status, 413);
    assert.match(JSON.parse(huge.body).error, /larger than the limit of 65536 bytes/);
    assert.equal((await send(server.base, '/status')).status, 200, 'still serving');
  });

  it('PUT /flaky with neither Content-Length nor Transfer-Encoding is an empty body: 400 at once', async () => {
    // Written by hand: node:http's client would add Transfer-Encoding: chunked.
    const { port } = new URL(server.base);
    const socket = connect(Number(port), '127.0.0.1');
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.end(
      'PUT /flaky HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n',
    );
    let text = '';
    for await (const chunk of socket) text += chunk;
    assert.match(text, /^HTTP\/1\.1 400 /);
    assert.match(text, /the body is empty/);
  });

  it('exports the chaos state and request durations as metrics', async () => {
    await send(server.base, '/flaky', { method: 'POST' });
    await send(server.base, '/status/502', { method: 'POST' });
    const text = (await send(server.metrics, '/metrics')).body;
    assert.match(text, /^flaky_server_flaky_enabled 1$/m);
    assert.match(text, /^flaky_server_configured_status_code 502$/m);
    assert.match(text, /^flaky_server_chaos_error_ratio 1$/m);
    assert.match(text, /^flaky_server_chaos_latency_min_seconds 0$/m);
    assert.match(text, /^flaky_server_chaos_latency_max_seconds 0.5$/m);
    assert.match(text, /^flaky_server_chaos_codes 61$/m);
    assert.match(text, /^flaky_server_chaos_changes_total\{source="api",change="flaky"\} [1-9]\d*$/m);
    assert.match(text, /^flaky_server_chaos_changes_total\{source="config",change="profile"\} 0$/m);
    assert.match(
      text,
      /^http_server_request_duration_seconds_bucket\{method="GET",route="\/status",code="200",le="[^"]+"\} \d+ # \{trace_id="[0-9a-f]{32}"\} [\d.e-]+ \d+(\.\d+)?$/m,
    );
    assert.match(
      text,
      /^http_server_request_duration_seconds_count\{method="GET",route="unmatched",code="404"\} [1-9]/m,
    );
    await send(server.base, '/flaky', { method: 'POST' });
    await send(server.base, '/status/200', { method: 'POST' });
  });
});

describe('flaky-server bin: admin token', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { SERVER_ADMIN_TOKEN: 'test-token-123' } });
  });
  after(() => server.stop());

  it('mutating endpoints need the bearer token; reads do not', async () => {
    for (const [method, path] of [
      ['POST', '/status/500'],
      ['POST', '/flaky'],
      ['PUT', '/flaky'],
    ]) {
      const refused = await send(server.base, path as string, { method });
      assert.equal(refused.status, 401, `${method} ${path}`);
      assert.equal(refused.headers['www-authenticate'], 'Bearer realm="flaky-server"');
      const wrong = await send(server.base, path as string, {
        method,
        headers: { authorization: 'Bearer nope' },
      });
      assert.equal(wrong.status, 401);
      assert.match(String(wrong.headers['www-authenticate']), /error="invalid_token"/);
    }
    const allowed = await send(server.base, '/status/500', {
      method: 'POST',
      headers: { authorization: 'Bearer test-token-123' },
    });
    assert.equal(allowed.status, 202);
    assert.equal((await send(server.base, '/status')).status, 500);
    assert.equal((await send(server.base, '/flaky')).status, 200);
    const listening = server.process.lines.find((line) => line.msg === 'listening');
    assert.equal(listening?.admin_token, true);
    assert.ok(!JSON.stringify(server.process.lines).includes('test-token-123'), 'the token is never logged');
  });
});

describe('flaky-server bin: command line', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, ...env },
    });

  it('--help lists the flags with their variables and defaults, and exits 0', () => {
    const result = run(['--help']);
    assert.equal(result.status, 0);
    for (const expected of [
      '--port N',
      'env SERVER_PORT, default 8080',
      '--metrics-port M',
      'env SERVER_METRICS_PORT, default 9101',
      '--host ADDRESS',
      'env SERVER_HOST, default 0.0.0.0',
      '--config FILE',
      'env SERVER_CONFIG',
      '--drain-timeout DURATION',
      'SERVER_ADMIN_TOKEN',
    ])
      assert.ok(result.stdout.includes(expected), `help lacks ${expected}`);
  });

  it('a bad flag or value is a usage error: exit 2 with a message', () => {
    for (const args of [['--port', 'eighty'], ['--bogus'], ['--drain-timeout', 'soon']]) {
      const result = run(args);
      assert.equal(result.status, 2, args.join(' '));
      assert.match(result.stderr, /^flaky-server: .+\nTry 'flaky-server --help'/);
    }
    const fromEnv = run([], { SERVER_PORT: '70000' });
    assert.equal(fromEnv.status, 2);
    assert.match(fromEnv.stderr, /--port must be a port number/);
  });
});
