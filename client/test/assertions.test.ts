import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkExpectations } from '../src/runner/assertions.ts';
import { classifyError, describeError } from '../src/runner/classify.ts';
import { readJsonPath } from '../src/runner/json-path.ts';
import type { Expectations } from '../src/types.ts';

const observed = (body: string, statusCode = 200, durationMs = 10, headers = {}) => ({
  statusCode,
  durationMs,
  headers,
  body: Buffer.from(body),
});
const base: Expectations = { status: [{ min: 200, max: 299 }], statusText: '2xx' };

describe('assertions', () => {
  it('checks the status against ranges', () => {
    assert.equal(checkExpectations(base, observed('', 204))[0]?.ok, true);
    assert.deepEqual(checkExpectations(base, observed('', 503))[0], {
      name: 'status',
      ok: false,
      expected: '2xx',
      actual: '503',
    });
  });

  it('checks latency against maxLatency', () => {
    const expect = { ...base, maxLatencyMs: 100 };
    assert.equal(checkExpectations(expect, observed('', 200, 99.5))[1]?.ok, true);
    const late = checkExpectations(expect, observed('', 200, 150))[1];
    assert.deepEqual(
      [late?.name, late?.ok, late?.expected, late?.actual],
      ['latency', false, '<= 100ms', '150.0ms'],
    );
  });

  it('checks body contains, not contains and regex', () => {
    const expect: Expectations = {
      ...base,
      body: { contains: ['OK'], notContains: ['error'], regex: ['^O.$'] },
    };
    assert.ok(checkExpectations(expect, observed('OK')).every((result) => result.ok));
    const failed = checkExpectations(expect, observed('error page')).filter((result) => !result.ok);
    assert.deepEqual(
      failed.map((result) => result.name),
      ['body.contains', 'body.not_contains', 'body.regex'],
    );
  });

  it('checks JSON paths for equality and existence', () => {
    const expect: Expectations = {
      ...base,
      body: {
        json: [
          { path: '$.flaky', equals: false, hasEquals: true },
          { path: '$.items[1].id', equals: 7, hasEquals: true },
          { path: 'profile.latency', hasEquals: false },
          { path: "$['odd key']", equals: { a: [1] }, hasEquals: true },
        ],
      },
    };
    const body = JSON.stringify({
      flaky: false,
      items: [{ id: 1 }, { id: 7 }],
      profile: { latency: 0 },
      'odd key': { a: [1] },
    });
    assert.ok(checkExpectations(expect, observed(body)).every((result) => result.ok));
    const wrong = checkExpectations(expect, observed(JSON.stringify({ flaky: true, items: [] })));
    assert.deepEqual(
      wrong.slice(1).map((result) => [result.ok, result.actual]),
      [
        [false, '$.flaky == true'],
        [false, '$.items[1].id missing'],
        [false, 'profile.latency missing'],
        [false, "$['odd key'] missing"],
      ],
    );
    const notJson = checkExpectations(expect, observed('<html>'))[1];
    assert.equal(notJson?.ok, false);
    assert.match(notJson?.actual ?? '', /^not JSON/);
  });

  it('checks response headers, case-insensitively by name', () => {
    const expect: Expectations = { ...base, headers: { 'content-type': 'text/plain' } };
    assert.equal(
      checkExpectations(expect, observed('', 200, 1, { 'content-type': 'text/plain; charset=utf-8' }))[1]?.ok,
      true,
    );
    assert.equal(checkExpectations(expect, observed('', 200, 1, {}))[1]?.actual, 'content-type absent');
  });

  it('reads JSON paths', () => {
    assert.deepEqual(readJsonPath({ a: { b: [0, { c: null }] } }, '$.a.b[1].c'), {
      found: true,
      value: null,
    });
    assert.deepEqual(readJsonPath({ a: 1 }, '$'), { found: true, value: { a: 1 } });
    assert.deepEqual(readJsonPath({ a: 1 }, '$.a.b'), { found: false });
    assert.deepEqual(readJsonPath([5], '[0]'), { found: true, value: 5 });
  });
});

describe('error classification', () => {
  const coded = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

  it('maps system and undici codes, also inside cause chains and AggregateErrors', () => {
    const cases: [unknown, string][] = [
      [coded('ECONNREFUSED'), 'connection_refused'],
      [
        new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'all failed'),
        'connection_refused',
      ],
      [Object.assign(new TypeError('fetch failed'), { cause: coded('ENOTFOUND') }), 'dns'],
      [coded('EAI_AGAIN'), 'dns'],
      [coded('ECONNRESET'), 'reset'],
      [coded('UND_ERR_SOCKET', 'other side closed'), 'reset'],
      [coded('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
      [coded('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
      [coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls'],
      [coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
      [coded('CERT_HAS_EXPIRED'), 'tls'],
      [coded('EHOSTUNREACH'), 'other'],
      [new Error('no code'), 'other'],
      ['a string', 'other'],
    ];
    for (const [error, expected] of cases) assert.equal(classifyError(error, false), expected, String(error));
  });

  it('calls anything that hit the run timeout a timeout', () => {
    assert.equal(classifyError(coded('ECONNRESET'), true), 'timeout');
  });

  it('describes errors on one line with their code', () => {
    assert.equal(
      describeError(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')),
      'connect ECONNREFUSED 127.0.0.1:1',
    );
    assert.equal(
      describeError(coded('UND_ERR_SOCKET', 'other side\nclosed')),
      'UND_ERR_SOCKET: other side closed',
    );
  });
});
