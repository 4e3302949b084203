import type { Random } from '../src/random.ts';

/** Returns the given values in order, then fails loudly: a test states every draw it expects. */
export function scriptedRandom(values: number[]): Random & { remaining: () => number } {
  let index = 0;
  const random = () => {
    if (index >= values.length) throw new Error(`scripted random: draw ${index + 1} was not scripted`);
    return values[index++] as number;
  };
  return Object.assign(random, { remaining: () => values.length - index });
}

/** A small seeded generator (mulberry32), for property-style tests that need many draws. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
