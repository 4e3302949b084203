// Values that pass a naive schema and then fail at the first request: a header value with a line break
// (from a YAML block scalar) crashed the response, and a timeout over what a timer can wait fired at
// once. Each is refused when the file loads, with its position, so --check and a reload catch it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configErrors } from '../helpers/config-errors.ts';

const errors = configErrors;

const BAD_VALUE = 'not a valid header value: line breaks and control characters are not allowed';

describe('hostile values in the proxy config', () => {
  it('a static response header with a line break is refused at its value', () => {
    const text = `routes:
  - name: hello
    match: { pathPrefix: /hello }
    static:
      body: hi
      headers:
        x-note: |
          block scalar
`;
    assert.deepEqual(errors(text), [`proxy.yaml:7:17: routes[0].static.headers.x-note: ${BAD_VALUE}`]);
  });

  it('so is a header a rewrite sets, on the request or the response', () => {
    const text = `routes:
  - name: api
    match: { pathPrefix: / }
    upstream: { targets: [http://127.0.0.1:9001] }
    rewrite:
      requestHeaders: { set: { x-a: "one\\ntwo" } }
      responseHeaders: { set: { x-b: "nul\\u0000" } }
`;
    assert.deepEqual(errors(text), [
      `proxy.yaml:6:37: routes[0].rewrite.requestHeaders.set.x-a: ${BAD_VALUE}`,
      `proxy.yaml:7:38: routes[0].rewrite.responseHeaders.set.x-b: ${BAD_VALUE}`,
    ]);
  });

  it('a timeout longer than a timer can wait is refused, not turned into an instant 504', () => {
    const text = `routes:
  - name: api
    match: { pathPrefix: / }
    upstream: { targets: [http://127.0.0.1:9001] }
    policies: { timeout: 600h }
`;
    assert.deepEqual(errors(text), ['proxy.yaml:5:26: routes[0].policies.timeout: must be at most 596h']);
  });

  it('a user and password in a target URL are refused, not silently dropped', () => {
    const text = `routes:
  - name: api
    match: { pathPrefix: / }
    upstream: { targets: ["http://admin:pw@127.0.0.1:9001"] }
`;
    assert.deepEqual(errors(text), [
      'proxy.yaml:4:27: routes[0].upstream.targets[0]: a user or password in a target URL is never sent: set an authorization header with rewrite.requestHeaders instead',
    ]);
  });
});
