// The two policy lists: configs.ts (each policy's config section, which the config schema is built from)
// and index.ts (each policy's code, which the pipeline is built from). A policy listed in one and not the
// other would be configurable but never run, or run but refused by the schema; this says which.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { POLICY_CONFIGS } from '../../src/policies/configs.ts';
import { POLICIES } from '../../src/policies/index.ts';

describe('policy registry', () => {
  test('configs.ts and index.ts list the same policies, each with its own config section', () => {
    assert.deepEqual(
      POLICY_CONFIGS.map((config) => config.key),
      POLICIES.map((policy) => policy.key),
    );
    for (const [index, policy] of POLICIES.entries()) {
      const config = POLICY_CONFIGS[index];
      assert.equal(policy.schema, config?.schema, `${policy.key}: the schema of its config.ts`);
      assert.equal(
        policy.defaultConfig,
        config?.defaultConfig,
        `${policy.key}: the default of its config.ts`,
      );
    }
  });

  test('the config schema knows every policy as a section of a route', () => {
    for (const policy of POLICIES) {
      const parsed = configSchema.safeParse({ routes: [{ static: {}, policies: { [policy.key]: {} } }] });
      const unknown = parsed.success
        ? []
        : parsed.error.issues.filter((issue) => issue.code === 'unrecognized_keys');
      assert.deepEqual(unknown, [], `policies.${policy.key} is known to the schema`);
    }
  });
});
