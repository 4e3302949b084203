// Every policy's section of a route's config, in one list: the config schema is built from it
// (config/schema.ts) without loading any policy's code, which is what lets proxy --check skip it. Each
// entry is the config.ts of a policy listed in index.ts; test/policies/registry.test.ts checks that the
// two lists name the same policies.
import type { PolicyConfig } from '../pipeline/policy-config.ts';
import { circuitBreakerConfig } from './circuit-breaker/config.ts';
import { faultConfig } from './fault/config.ts';
import { rateLimitConfig } from './rate-limit/config.ts';
import { retryConfig } from './retry/config.ts';
import { timeoutConfig } from './timeout/config.ts';

export const POLICY_CONFIGS: readonly PolicyConfig[] = [
  rateLimitConfig,
  timeoutConfig,
  circuitBreakerConfig,
  retryConfig,
  faultConfig,
] as PolicyConfig[];
