// Every policy the proxy knows, in one list, which the pipeline is built from. A new policy is a folder
// with its config section (config.ts, listed in configs.ts, which the config schema is built from) and its
// PolicyDefinition (index.ts, listed here).
import type { PolicyDefinition } from '../pipeline/policy.ts';
import { circuitBreakerPolicy } from './circuit-breaker/index.ts';
import { faultPolicy } from './fault/index.ts';
import { rateLimitPolicy } from './rate-limit/index.ts';
import { retryPolicy } from './retry/index.ts';
import { timeoutPolicy } from './timeout/index.ts';

export const POLICIES: readonly PolicyDefinition[] = [
  rateLimitPolicy,
  timeoutPolicy,
  circuitBreakerPolicy,
  retryPolicy,
  faultPolicy,
] as PolicyDefinition[];
