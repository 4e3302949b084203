// Every policy the proxy knows, in one list. A new policy is a folder (its config section in config.ts,
// its code in index.ts) and one entry here. The config schema is built from the sections alone, so that
// validating a config (proxy --check) loads no policy code; the pipeline takes each policy's code the
// first time it builds a route (require() of an ES module: synchronous, and once).
import { createRequire } from 'node:module';
import type { PolicyDefinition } from '../pipeline/policy.ts';
import type { PolicyConfig } from '../pipeline/policy-config.ts';
import { circuitBreakerConfig } from './circuit-breaker/config.ts';
import { faultConfig } from './fault/config.ts';
import { rateLimitConfig } from './rate-limit/config.ts';
import { retryConfig } from './retry/config.ts';
import { timeoutConfig } from './timeout/config.ts';

const load = createRequire(import.meta.url);

export interface PolicyEntry {
  /** The policy's section of a route's config: what the config schema needs. */
  config: PolicyConfig;
  /** The policy's code, loaded on first call. */
  definition: () => PolicyDefinition;
}

export const POLICIES: readonly PolicyEntry[] = [
  {
    config: rateLimitConfig,
    definition: () =>
      (load('./rate-limit/index.ts') as typeof import('./rate-limit/index.ts')).rateLimitPolicy,
  },
  {
    config: timeoutConfig,
    definition: () => (load('./timeout/index.ts') as typeof import('./timeout/index.ts')).timeoutPolicy,
  },
  {
    config: circuitBreakerConfig,
    definition: () =>
      (load('./circuit-breaker/index.ts') as typeof import('./circuit-breaker/index.ts'))
        .circuitBreakerPolicy,
  },
  {
    config: retryConfig,
    definition: () => (load('./retry/index.ts') as typeof import('./retry/index.ts')).retryPolicy,
  },
  {
    config: faultConfig,
    definition: () => (load('./fault/index.ts') as typeof import('./fault/index.ts')).faultPolicy,
  },
] as PolicyEntry[];
