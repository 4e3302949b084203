// Keys that moved get one clear error at the key, naming the new one: a config written for the old shape
// is refused with that, not with "unknown field" (and not at all silently).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from '@sre-stack/runtime';
import { anyConfigSchema } from '../../src/adapters/index.ts';
import { PASSIVE_HEALTH_MOVED } from '../../src/config/schema.ts';
import { configErrors } from '../helpers/config-errors.ts';

const errors = configErrors;

describe('upstream.health.passive moved to policies.circuitBreaker', () => {
  it('is one error at the key, in a route, naming the new keys', () => {
    const text = `routes:
  - name: api
    upstream:
      targets: [http://127.0.0.1:9001, http://127.0.0.1:9002]
      health:
        passive:
          consecutiveFailures: 3
          baseEjection: 30s
        active: { path: /healthz }
`;
    assert.deepEqual(errors(text), [
      `proxy.yaml:6:9: routes[0].upstream.health.passive: ${PASSIVE_HEALTH_MOVED}`,
    ]);
    assert.match(
      PASSIVE_HEALTH_MOVED,
      /policies\.circuitBreaker .*consecutiveFailures; openFor ← baseEjection; maxOpenFor ← maxEjection; whenAllOpen: forward for panic mode/,
    );
  });

  it('is the same error under a named upstream, alongside any other problem of the file', () => {
    const text = `upstreams:
  backend:
    targets: [http://127.0.0.1:9001]
    health: { passive: {} }
routes:
  - upstream: backend
    policies:
      circuitBreaker: { openFor: 5 }
`;
    assert.deepEqual(errors(text), [
      `proxy.yaml:4:15: upstreams.backend.health.passive: ${PASSIVE_HEALTH_MOVED}`,
      'proxy.yaml:8:34: routes[0].policies.circuitBreaker.openFor: write a duration like 3s, 500ms or 1m30s; a bare number (5) has no unit',
    ]);
  });

  it('the settings it had are all in policies.circuitBreaker now', () => {
    const text = `routes:
  - upstream: { targets: [http://127.0.0.1:9001] }
    policies:
      circuitBreaker: { consecutiveFailures: 3, openFor: 30s, maxOpenFor: 300s, whenAllOpen: forward }
`;
    const config = parseConfigText(text, 'proxy.yaml', anyConfigSchema, { env: {} });
    assert.deepEqual(config.routes[0]?.policies.circuitBreaker, {
      consecutiveFailures: 3,
      openFor: 30_000,
      maxOpenFor: 300_000,
      trialTimeout: 5_000,
      whenAllOpen: 'forward',
    });
  });
});
