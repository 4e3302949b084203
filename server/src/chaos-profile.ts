// The chaos profile as the server holds it: its type, the default and the document GET /flaky shows.
// No zod here: the schema (profile.ts) is loaded only when a profile is read, from the --config file or
// a PUT /flaky, so a server started without a file never loads zod.
import { formatDuration } from '@sre-stack/runtime';
import { DEFAULT_LATENCY, type Latency } from './latency.ts';
import type { Weighted } from './random.ts';
import { STATUS_CODES } from './status-codes.ts';

/** No injected delay may exceed this: a request held longer only ties up a connection and a drain. */
export const MAX_LATENCY_MS = 60_000;

export interface ChaosProfile {
  /** Chance that a flaky request answers a code drawn from `codes` instead of the steady code. */
  errorProbability: number;
  latency: Latency;
  codes: Weighted<number>[];
}

export const DEFAULT_PROFILE: ChaosProfile = {
  errorProbability: 1,
  latency: DEFAULT_LATENCY,
  codes: STATUS_CODES.map((code) => ({ value: code, weight: 1 })),
};

/** The profile in the shape PUT /flaky accepts, so GET /flaky's answer can be edited and sent back. */
export function describeProfile(profile: ChaosProfile): Record<string, unknown> {
  const ms = formatDuration;
  const { latency } = profile;
  const latencyDocument =
    latency.distribution === 'fixed'
      ? { distribution: 'fixed', delay: ms(latency.delay) }
      : latency.distribution === 'uniform'
        ? { distribution: 'uniform', min: ms(latency.min), max: ms(latency.max) }
        : latency.distribution === 'normal'
          ? {
              distribution: 'normal',
              mean: ms(latency.mean),
              stddev: ms(latency.stddev),
              min: ms(latency.min),
              max: ms(latency.max),
            }
          : {
              distribution: 'exponential',
              mean: ms(latency.mean),
              min: ms(latency.min),
              max: ms(latency.max),
            };
  const equalWeights = profile.codes.every((code) => code.weight === profile.codes[0]?.weight);
  const codes = equalWeights
    ? profile.codes.map((code) => code.value)
    : Object.fromEntries(profile.codes.map((code) => [String(code.value), code.weight]));
  return { error_probability: profile.errorProbability, latency: latencyDocument, codes };
}
