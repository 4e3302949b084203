// Every policy the proxy knows, in one list. The config schema and the pipeline are built from it: a new
// policy is a folder with a PolicyDefinition, added here.
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
