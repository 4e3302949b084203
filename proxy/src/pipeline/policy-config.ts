// What the config schema needs of a policy: its section under a route's `policies`. Each policy folder
// exports one from its config.ts, apart from the policy's code in index.ts, so that validating a config
// (proxy --check) loads no policy code: its metrics, shared state and answers.
import type { z } from 'zod';

export interface PolicyConfig<S extends z.ZodType = z.ZodType> {
  /** The config section under `policies`, e.g. `retry`. */
  key: string;
  schema: S;
  /** When set, the policy is on for every route, with this (input) config unless the route sets its own. */
  defaultConfig?: z.input<S>;
}

/** Keeps the schema's type, for the definePolicy() that spreads this section into the policy. */
export function definePolicyConfig<S extends z.ZodType>(config: PolicyConfig<S>): PolicyConfig<S> {
  return config;
}
