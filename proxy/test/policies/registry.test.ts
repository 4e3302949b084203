// The policy registry (policies/index.ts): one entry per policy, its config section and its code. The
// code must be the policy the section configures, and the config schema must know every section.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { POLICIES } from '../../src/policies/index.ts';

describe('policy registry', () => {
  test("each entry's code is the policy its config section configures", () => {
    for (const { config, definition } of POLICIES) {
      const policy = definition();
      assert.equal(policy.key, config.key);
      assert.equal(policy.schema, config.schema, `${config.key}: the schema of its config.ts`);
      assert.equal(policy.defaultConfig, config.defaultConfig, `${config.key}: the default of its config.ts`);
    }
    const keys = POLICIES.map(({ config }) => config.key);
    assert.equal(new Set(keys).size, keys.length, 'no policy is listed twice');
  });

  test('the config schema knows every policy as a section of a route', () => {
    for (const { config } of POLICIES) {
      const parsed = configSchema.safeParse({ routes: [{ static: {}, policies: { [config.key]: {} } }] });
      const unknown = parsed.success
        ? []
        : parsed.error.issues.filter((issue) => issue.code === 'unrecognized_keys');
      assert.deepEqual(unknown, [], `policies.${config.key} is known to the schema`);
    }
  });
});
