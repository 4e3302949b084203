// Load-balancing strategies: each picks the index of the next target. New strategies are added to the
// table; the config schema lists the table's keys.
import type { Target } from '../pipeline/types.ts';

export type Strategy = (targets: readonly Target[]) => number;
export type StrategyFactory = (targets: readonly Target[], random: () => number) => Strategy;

/** Each target in turn, as often as its weight says. */
const roundRobin: StrategyFactory = (targets) => {
  const sequence: number[] = [];
  targets.forEach((target, index) => {
    for (let i = 0; i < target.weight; i++) sequence.push(index);
  });
  let next = 0;
  return () => {
    const index = sequence[next] ?? 0;
    next = (next + 1) % Math.max(1, sequence.length);
    return index;
  };
};

/** A random target, weighted. */
const random: StrategyFactory = (targets, rand) => {
  const total = targets.reduce((sum, target) => sum + target.weight, 0);
  return (list) => {
    let point = rand() * total;
    for (let index = 0; index < list.length; index++) {
      point -= (list[index] as Target).weight;
      if (point < 0) return index;
    }
    return list.length - 1;
  };
};

/**
 * Power of two choices, as Envoy does it: two random targets, the one with fewer attempts in flight
 * (relative to its weight) wins. Nearly as good as a full scan, and it never herds onto one target.
 */
const leastRequest: StrategyFactory = (_targets, rand) => (list) => {
  if (list.length === 1) return 0;
  const first = Math.floor(rand() * list.length);
  let second = Math.floor(rand() * (list.length - 1));
  if (second >= first) second++;
  const a = list[first] as Target;
  const b = list[second] as Target;
  return a.active / a.weight <= b.active / b.weight ? first : second;
};

export const STRATEGIES: Record<string, StrategyFactory> = {
  'round-robin': roundRobin,
  random,
  'least-request': leastRequest,
};

export const STRATEGY_NAMES = Object.keys(STRATEGIES) as [string, ...string[]];
