import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createLogger, registry } from '@sre-stack/runtime';
import { type AppOptions, createRequestHandler } from '../../src/app.ts';
import { type Chaos, createChaos } from '../../src/chaos.ts';
import { DEFAULT_PROFILE } from '../../src/profile.ts';
import { STATUS_CODES, statusText } from '../../src/status-codes.ts';
import { send } from '../http-client.ts';
import { scriptedRandom } from '../scripted-random.ts';

interface Harness {
  base: string;
  chaos: Chaos;
  logs: Record<string, unknown>[];
  sleeps: number[];
  close(): Promise<void>;
}

async function startApp(overrides: Partial<AppOptions> & { random?: () => number } = {}): Promise<Harness> {
  const logs: Record<string, unknown>[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
  });
  const logger = createLogger({ service: 'test', format: 'json', destination: stream });
  const sleeps: number[] = [];
  const chaos = overrides.chaos ?? createChaos({ random: overrides.random ?? scriptedRandom([]) });
  const server: Server = createServer(
    createRequestHandler({
      chaos,
      logger,
      sleep: async (ms) => void sleeps.push(ms),
      ...overrides,
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    chaos,
    logs,
    sleeps,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The access-log line is written when the response closes, a moment after the client has it. */
async function accessLog(app: Harness, path: string, method = 'GET'): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = app.logs.findLast(
      (entry) => entry.msg === 'request' && entry.path === path && entry.method === method,
    );
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no access-log line for ${method} ${path}; lines: ${JSON.stringify(app.logs.slice(-3))}`);
}

const json = (body: unknown) => ({
  method: 'PUT',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('request handler: the original API', () => {
  let app: Harness;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());
  beforeEach(() => {
    app.chaos.setStatusCode(200, 'api');
    app.chaos.setFlaky(false, 'api');
  });

  it('GET /status answers 200 "OK\\n" as text/plain by default', async () => {
    const answer = await send(app.base, '/status');
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'OK\n');
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
  });

  it('POST /status/{code} answers 202 on a change and 200 when the code is already set', async () => {
    const first = await send(app.base, '/status/503', { method: 'POST' });
    assert.deepEqual([first.status, first.body], [202, 'Accepted\n']);
    const again = await send(app.base, '/status/503', { method: 'POST' });
    assert.deepEqual([again.status, again.body], [200, 'OK\n']);
    const status = await send(app.base, '/status');
    assert.deepEqual([status.status, status.body], [503, 'Service Unavailable\n']);
  });

  it('POST /status/{code} refuses codes outside the list and non-numbers with 400 and a reason', async () => {
    for (const [path, reason] of [
      ['/status/499', /499 is not a supported status code; use one of 100-103, 200-208/],
      ['/status/abc', /"abc" is not a number/],
      ['/status/', /"" is not a number/],
      ['/status/%35%30%33x', /"503x" is not a number/],
    ] as const) {
      const answer = await send(app.base, path, { method: 'POST' });
      assert.equal(answer.status, 400, path);
      assert.match(answer.body, /^Bad Request: /);
      assert.match(answer.body, reason);
    }
    const malformed = await send(app.base, '/status/%E0%A4%A', { method: 'POST' });
    assert.equal(malformed.status, 400);
    assert.match(malformed.body, /percent-encoding/);
    assert.equal((await send(app.base, '/status')).status, 200, 'a refused code changes nothing');
  });

  it('answers every supported code with Go status line semantics and reason phrase', async () => {
    for (const code of STATUS_CODES) {
      await send(app.base, `/status/${code}`, { method: 'POST' });
      const answer = await send(app.base, '/status');
      if (code >= 100 && code < 200) {
        // Node cannot end on a 1xx: interim response (as Go sends it), then 200 with the phrase.
        assert.equal(answer.status, 200, String(code));
        assert.equal(answer.body, `${statusText(code)}\n`, String(code));
        assert.deepEqual(answer.informational, code === 101 ? [] : [code], String(code));
      } else if (code === 204 || code === 205 || code === 304) {
        assert.equal(answer.status, code);
        assert.equal(answer.body, '', `${code} has no body`);
      } else {
        assert.equal(answer.status, code);
        assert.equal(answer.statusMessage, statusText(code), 'the status line has the Go phrase too');
        assert.equal(answer.body, `${statusText(code)}\n`, String(code));
        assert.deepEqual(answer.informational, []);
      }
    }
    const log = await accessLog(app, '/status');
    assert.equal(log.status, 511);
  });

  it('logs the chosen 1xx code, since the answer is a 200', async () => {
    await send(app.base, '/status/103', { method: 'POST' });
    await send(app.base, '/status');
    const log = await accessLog(app, '/status');
    assert.equal(log.status, 200);
    assert.equal(log.chosen_code, 103);
  });

  it('HEAD /status is GET without a body', async () => {
    await send(app.base, '/status/418', { method: 'POST' });
    const answer = await send(app.base, '/status', { method: 'HEAD' });
    assert.equal(answer.status, 418);
    assert.equal(answer.body, '');
    assert.equal(answer.headers['content-length'], String(Buffer.byteLength("I'm a teapot\n")));
  });

  it('a wrong method on a known path is 405 with Allow and a body naming the allowed methods', async () => {
    for (const [method, path, allow] of [
      ['DELETE', '/status', 'GET, HEAD, OPTIONS'],
      ['POST', '/status', 'GET, HEAD, OPTIONS'],
      ['GET', '/status/200', 'POST, OPTIONS'],
      ['PATCH', '/flaky', 'GET, HEAD, POST, PUT, OPTIONS'],
    ] as const) {
      const answer = await send(app.base, path, { method });
      assert.equal(answer.status, 405, `${method} ${path}`);
      assert.equal(answer.headers.allow, allow);
      assert.match(
        answer.body,
        new RegExp(`^Method Not Allowed: ${method} is not allowed on \\S+; allowed: ${allow}`),
      );
    }
  });

  it('OPTIONS on a known path lists the methods', async () => {
    const answer = await send(app.base, '/flaky', { method: 'OPTIONS' });
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.allow, 'GET, HEAD, POST, PUT, OPTIONS');
  });

  it('an unknown path is 404 naming the routes, logged as route "unmatched"', async () => {
    const answer = await send(app.base, '/statuses?x=1');
    assert.equal(answer.status, 404);
    assert.match(
      answer.body,
      /^Not Found: no route for GET \/statuses; routes: GET\|HEAD \/status, POST \/status\/\{code\}/,
    );
    const log = await accessLog(app, '/statuses');
    assert.equal(log.route, 'unmatched');
    assert.equal(log.status, 404);
  });

  it('the query string does not change routing', async () => {
    assert.equal((await send(app.base, '/status?cache=no')).status, 200);
  });

  it('POST /flaky toggles flaky mode with 202 and says which way in X-Flaky', async () => {
    const on = await send(app.base, '/flaky', { method: 'POST' });
    assert.deepEqual([on.status, on.body, on.headers['x-flaky']], [202, 'Accepted\n', 'on']);
    assert.equal(app.chaos.snapshot.flaky, true);
    const off = await send(app.base, '/flaky', { method: 'POST' });
    assert.deepEqual([off.status, off.headers['x-flaky']], [202, 'off']);
    assert.equal(app.chaos.snapshot.flaky, false);
  });

  it('writes one access-log line per request with method, route, path, status and duration', async () => {
    await send(app.base, '/status/201', { method: 'POST' });
    const log = await accessLog(app, '/status/201', 'POST');
    assert.equal(log.route, '/status/{code}');
    assert.equal(log.status, 202);
    assert.equal(typeof log.duration_ms, 'number');
    assert.equal(log.level, 'info');
  });

  it('observes the duration histogram by method, route template and code', async () => {
    await send(app.base, '/status/226', { method: 'POST' });
    await send(app.base, '/nowhere/42');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = await registry.getSingleMetricAsString('http_server_request_duration_seconds');
    assert.match(
      text,
      /http_server_request_duration_seconds_count\{method="POST",route="\/status\/\{code\}",code="202"\} \d+/,
    );
    assert.match(
      text,
      /http_server_request_duration_seconds_count\{method="GET",route="unmatched",code="404"\} \d+/,
    );
    assert.doesNotMatch(text, /\/status\/226|\/nowhere/, 'raw paths never become labels');
  });
});

describe('request handler: flaky mode', () => {
  const slowProfile = { ...DEFAULT_PROFILE, latency: { distribution: 'fixed', delay: 60_000 } as const };

  it('waits the drawn delay and answers the drawn code', async () => {
    // Draws per request: latency, then code (error probability 1 needs no draw).
    const app = await startApp({ random: scriptedRandom([0.5, 0, 0.1, 0.99999]) });
    try {
      await send(app.base, '/flaky', { method: 'POST' });
      const first = await send(app.base, '/status');
      assert.equal(first.status, 200, 'code 100 ends as a 200');
      assert.deepEqual(first.informational, [100]);
      assert.equal(first.body, 'Continue\n');
      const second = await send(app.base, '/status');
      assert.deepEqual([second.status, second.body], [511, 'Network Authentication Required\n']);
      assert.deepEqual(app.sleeps, [250, 50]);
      const log = await accessLog(app, '/status');
      assert.equal(log.flaky, true);
      assert.equal(log.injected, true);
      assert.equal(log.delay_ms, 50);
    } finally {
      await app.close();
    }
  });

  it('after flaky mode the steady code is back', async () => {
    const app = await startApp({ random: scriptedRandom([0, 0.5]) });
    try {
      await send(app.base, '/status/429', { method: 'POST' });
      await send(app.base, '/flaky', { method: 'POST' });
      assert.equal((await send(app.base, '/status')).status, 408, 'index 30 of the 61 codes');
      await send(app.base, '/flaky', { method: 'POST' });
      assert.equal((await send(app.base, '/status')).status, 429);
    } finally {
      await app.close();
    }
  });

  it('stops waiting when the client goes away, and logs the request as aborted', async () => {
    let aborted = false;
    const app = await startApp({
      random: scriptedRandom([0.5]),
      sleep: (_ms, signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
    });
    try {
      app.chaos.setProfile(slowProfile, 'api');
      app.chaos.setFlaky(true, 'api');
      await assert.rejects(send(app.base, '/status', { timeoutMs: 200 }), /within the timeout/);
      for (let i = 0; i < 100 && !aborted; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(aborted, true);
      const log = await accessLog(app, '/status');
      assert.equal(log.aborted, true);
    } finally {
      await app.close();
    }
  });

  it('answers sleeping requests at once when told to stop waiting (shutdown)', async () => {
    const stop = new AbortController();
    const app = await startApp({
      random: scriptedRandom([0.99999]),
      stopWaiting: stop.signal,
      sleep: (_ms, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve())),
    });
    try {
      app.chaos.setProfile(slowProfile, 'api');
      app.chaos.setFlaky(true, 'api');
      const pending = send(app.base, '/status');
      await new Promise((resolve) => setTimeout(resolve, 50));
      stop.abort();
      assert.equal((await pending).status, 511);
    } finally {
      await app.close();
    }
  });

  it('writes the access-log line pino would, when it writes it directly', async () => {
    // logsExported sends every line through pino (the OTLP path); otherwise the line is written directly.
    const lines: Record<string, unknown>[][] = [];
    for (const logsExported of [true, false]) {
      const app = await startApp({ random: scriptedRandom([0.5, 0, 0.5]), logsExported });
      try {
        await send(app.base, '/flaky', { method: 'POST' });
        await send(app.base, '/status');
        await send(app.base, '/nowhere/%22quoted%22/path');
        const status = await accessLog(app, '/status');
        const unmatched = await accessLog(app, '/nowhere/%22quoted%22/path');
        lines.push([status, unmatched].map(({ time, duration_ms, ...rest }) => rest));
      } finally {
        await app.close();
      }
    }
    const [throughPino, direct] = lines;
    assert.deepEqual(direct, throughPino);
    assert.deepEqual(
      direct?.map((line) => Object.keys(line)),
      throughPino?.map((line) => Object.keys(line)),
      'the same keys in the same order',
    );
    assert.equal(direct?.[0]?.injected, true);
  });

  it('a failing endpoint answers 500 and is logged, without taking the server down', async () => {
    const chaos = createChaos({ random: scriptedRandom([]) });
    const broken: Chaos = { ...chaos, decide: () => assert.fail('boom') };
    Object.defineProperty(broken, 'snapshot', { get: () => chaos.snapshot });
    const app = await startApp({ chaos: broken });
    try {
      const answer = await send(app.base, '/status');
      assert.deepEqual([answer.status, answer.body], [500, 'Internal Server Error\n']);
      assert.ok(app.logs.some((line) => line.msg === 'request failed' && line.level === 'error'));
      assert.equal((await send(app.base, '/flaky')).status, 200);
    } finally {
      await app.close();
    }
  });
});

describe('request handler: GET and PUT /flaky', () => {
  let app: Harness;
  before(async () => {
    app = await startApp({ bodyLimitBytes: 1024 });
  });
  after(() => app.close());

  it('GET /flaky returns the state as JSON in the shape PUT accepts', async () => {
    const answer = await send(app.base, '/flaky');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/json');
    const state = JSON.parse(answer.body);
    assert.equal(state.flaky, false);
    assert.equal(state.status_code, 200);
    assert.equal(state.profile.error_probability, 1);
    assert.deepEqual(state.profile.latency, { distribution: 'uniform', min: '0ms', max: '500ms' });
    assert.equal(state.profile.codes.length, 61);
    const putBack = await send(app.base, '/flaky', json(state.profile));
    assert.equal(putBack.status, 200);
    assert.deepEqual(JSON.parse(putBack.body), state);
  });

  it('PUT /flaky replaces the profile and, with "enabled", switches flaky mode', async () => {
    const answer = await send(
      app.base,
      '/flaky',
      json({
        enabled: true,
        error_probability: 0.5,
        latency: { distribution: 'fixed', delay: '1s' },
        codes: { 503: 2, 500: 1 },
      }),
    );
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), {
      flaky: true,
      status_code: 200,
      profile: {
        error_probability: 0.5,
        latency: { distribution: 'fixed', delay: '1s' },
        codes: { 500: 1, 503: 2 },
      },
      pinned_until: null,
    });
    const withoutEnabled = await send(app.base, '/flaky', json({}));
    assert.equal(JSON.parse(withoutEnabled.body).flaky, true, 'no "enabled": the switch is left alone');
    assert.equal(
      JSON.parse(withoutEnabled.body).profile.error_probability,
      1,
      'PUT replaces: defaults again',
    );
    await send(app.base, '/flaky', json({ enabled: false }));
    assert.equal(app.chaos.snapshot.flaky, false);
  });

  it('refuses an invalid profile with 400 naming each field, and keeps the old one', async () => {
    const before = app.chaos.snapshot.profile;
    const answer = await send(
      app.base,
      '/flaky',
      json({
        error_probability: 3,
        latency: { distribution: 'uniform', min: '2s', max: '1s' },
        colour: 'red',
      }),
    );
    assert.equal(answer.status, 400);
    const body = JSON.parse(answer.body);
    assert.equal(body.error, 'invalid chaos profile');
    const fields = body.issues.map((issue: { field: string }) => issue.field).sort();
    assert.deepEqual(fields, ['colour', 'error_probability', 'latency.max']);
    assert.equal(app.chaos.snapshot.profile, before);
  });

  it('refuses malformed JSON, empty bodies and non-objects with 400', async () => {
    for (const [body, message] of [
      ['{"latency":', /^invalid JSON: /],
      ['', /empty/],
      ['[1,2]', /invalid chaos profile/],
    ] as const) {
      const answer = await send(app.base, '/flaky', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body,
      });
      assert.equal(answer.status, 400, body);
      assert.match(JSON.parse(answer.body).error, message);
    }
  });

  it('refuses a body that is not JSON by content type with 415', async () => {
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded']) {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      const answer = await send(app.base, '/flaky', { method: 'PUT', headers, body: '{}' });
      assert.equal(answer.status, 415, String(type));
      assert.match(JSON.parse(answer.body).error, /content-type must be application\/json/);
    }
    const withCharset = await send(app.base, '/flaky', {
      method: 'PUT',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{}',
    });
    assert.equal(withCharset.status, 200);
  });

  it('refuses bodies over the limit with 413, declared or streamed, and keeps serving', async () => {
    const big = JSON.stringify({ codes: Array.from({ length: 400 }, () => 500) });
    assert.ok(big.length > 1024);
    const declared = await send(app.base, '/flaky', { ...json({}), body: big });
    assert.equal(declared.status, 413);
    assert.equal(declared.statusMessage, 'Request Entity Too Large');
    assert.equal(declared.headers.connection, 'close');
    assert.match(JSON.parse(declared.body).error, /larger than the limit of 1024 bytes/);
    const streamed = await send(app.base, '/flaky', { ...json({}), body: big, chunked: true });
    assert.equal(streamed.status, 413);
    assert.equal((await send(app.base, '/status')).status, 200);
  });
});

describe('request handler: admin token', () => {
  let app: Harness;
  before(async () => {
    app = await startApp({ adminToken: 's3cret-token' });
  });
  after(() => app.close());

  it('guards every mutating endpoint with 401 and a Bearer challenge', async () => {
    for (const [method, path] of [
      ['POST', '/status/500'],
      ['POST', '/flaky'],
      ['PUT', '/flaky'],
    ] as const) {
      const missing = await send(app.base, path, { method });
      assert.equal(missing.status, 401, `${method} ${path}`);
      assert.equal(missing.headers['www-authenticate'], 'Bearer realm="flaky-server"');
      assert.match(missing.body, /^Unauthorized: this endpoint needs "Authorization: Bearer <token>"/);
      const wrong = await send(app.base, path, { method, headers: { authorization: 'Bearer s3cret-tokeX' } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="flaky-server", error="invalid_token"');
      const basic = await send(app.base, path, { method, headers: { authorization: 'Basic czNjcmV0' } });
      assert.equal(basic.status, 401);
    }
    assert.equal(app.chaos.snapshot.statusCode, 200);
    assert.equal(app.chaos.snapshot.flaky, false);
  });

  it('lets the right token through, and leaves reads open', async () => {
    const authorization = { authorization: 'Bearer s3cret-token' };
    assert.equal(
      (await send(app.base, '/status/500', { method: 'POST', headers: authorization })).status,
      202,
    );
    assert.equal((await send(app.base, '/status')).status, 500);
    assert.equal((await send(app.base, '/flaky')).status, 200);
    const put = await send(app.base, '/flaky', {
      method: 'PUT',
      headers: { ...authorization, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(put.status, 200);
  });
});
