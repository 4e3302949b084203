// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the syntax under test.
// /config redacts by value: substituted values and header values off the allow-list, whatever their name.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfigText } from '@sre-stack/runtime';
import { anyConfigSchema } from '../../src/adapters/index.ts';
import { redact } from '../../src/config/redact.ts';

const text = `
routes:
  - name: api
    match: { pathPrefix: /api }
    upstream: { targets: ["\${UPSTREAM}"] }
    rewrite:
      requestHeaders:
        set:
          x-auth: hunter2
          x-jwt: eyJhbGciOi.payload.sig
          x-session: abc123
          x-private-key: "-----BEGIN"
          x-tenant: "\${TENANT}"
          content-type: application/json
      responseHeaders:
        set:
          cache-control: no-store
          x-internal-build: b-42
  - name: hello
    match: { path: /hello }
    static:
      body: hi
      headers:
        x-api-secret-ish: visible-before
        content-type: text/plain
`;

describe('/config redaction', () => {
  const config = parseConfigText(text, 'proxy.yaml', anyConfigSchema, {
    env: { UPSTREAM: 'http://backend.internal:9000', TENANT: 'tenant-7f3a9' },
  });
  const shown = JSON.stringify(redact(config));

  test('header values not on the allow-list are hidden, whatever the header is called', () => {
    for (const secret of ['hunter2', 'eyJhbGciOi', 'abc123', 'BEGIN', 'b-42', 'visible-before']) {
      assert.ok(!shown.includes(secret), `${secret} is shown: ${shown}`);
    }
    assert.match(shown, /"x-auth":"\[redacted\]"/);
  });

  test('allow-listed header values stay readable', () => {
    assert.match(shown, /"content-type":"application\/json"/);
    assert.match(shown, /"cache-control":"no-store"/);
  });

  test('every value that came from ${VAR} substitution is hidden', () => {
    assert.ok(!shown.includes('tenant-7f3a9'), shown);
    assert.ok(!shown.includes('backend.internal'), shown);
  });

  test('the rest of the config is shown as is', () => {
    assert.match(shown, /"pathPrefix":"\/api"/);
    assert.match(shown, /"name":"hello"/);
  });
});
