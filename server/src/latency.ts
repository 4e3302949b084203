import { clamp, exponential, type Random, standardNormal } from './random.ts';

/** How long a flaky request waits before it answers, in milliseconds once parsed. */
export type Latency =
  | { distribution: 'fixed'; delay: number }
  | { distribution: 'uniform'; min: number; max: number }
  | { distribution: 'normal'; mean: number; stddev: number; min: number; max: number }
  | { distribution: 'exponential'; mean: number; min: number; max: number };

/** The original's behaviour: uniformly 0-500 ms. */
export const DEFAULT_LATENCY: Latency = { distribution: 'uniform', min: 0, max: 500 };

/** One delay in ms, always within the latency's bounds. */
export function sampleLatencyMs(latency: Latency, random: Random): number {
  switch (latency.distribution) {
    case 'fixed':
      return latency.delay;
    case 'uniform':
      return latency.min + random() * (latency.max - latency.min);
    case 'normal':
      return clamp(latency.mean + latency.stddev * standardNormal(random), latency.min, latency.max);
    case 'exponential':
      return clamp(exponential(latency.mean, random), latency.min, latency.max);
  }
}

export interface LatencySummary {
  minMs: number;
  maxMs: number;
  /** The distribution's own mean (before clamping): what an operator configured. */
  meanMs: number;
}

/** The bounds and centre of a latency, for the profile gauges. */
export function summarizeLatency(latency: Latency): LatencySummary {
  switch (latency.distribution) {
    case 'fixed':
      return { minMs: latency.delay, maxMs: latency.delay, meanMs: latency.delay };
    case 'uniform':
      return { minMs: latency.min, maxMs: latency.max, meanMs: (latency.min + latency.max) / 2 };
    case 'normal':
    case 'exponential':
      return { minMs: latency.min, maxMs: latency.max, meanMs: latency.mean };
  }
}
