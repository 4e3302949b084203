// Load-balancing strategies: each picks the index of the next target in the list it is given. The list
// is the group's targets that may take an attempt now (healthy ones, see health.ts), so it can change
// from one pick to the next; strategies keep no per-target state. New strategies are added to the
// table; the config schema lists the table's keys.
import type { Target } from '../pipeline/types.ts';

export type Strategy = (targets: readonly Target[]) => number;
export type StrategyFactory = (random: () => number) => Strategy;

function totalWeight(list: readonly Target[]): number {
  let total = 0;
  for (let index = 0; index < list.length; index++) total += (list[index] as Target).weight;
  return total;
}

/** The index of the target that `point` (0 ≤ point < total weight) falls in. */
function byWeight(list: readonly Target[], point: number): number {
  let rest = point;
  for (let index = 0; index < list.length; index++) {
    rest -= (list[index] as Target).weight;
    if (rest < 0) return index;
  }
  return list.length - 1;
}

/** Each target in turn, as often as its weight says (weights 2, 1: a, a, b, a, a, b...). */
const roundRobin: StrategyFactory = () => {
  let next = 0;
  return (list) => {
    const total = totalWeight(list);
    const point = next % Math.max(1, total);
    next = (next + 1) % 1_000_000_007;
    return total === list.length ? point : byWeight(list, point);
  };
};

/** A random target, weighted: the load-balancer format's strategy. */
const random: StrategyFactory = (rand) => (list) => {
  const total = totalWeight(list);
  if (total === list.length) return Math.min(list.length - 1, Math.floor(rand() * list.length));
  return byWeight(list, rand() * total);
};

/**
 * Power of two choices, as Envoy does it: two random targets, the one with fewer attempts in flight
 * (relative to its weight) wins. Nearly as good as a full scan, and it never herds onto one target.
 */
const leastRequest: StrategyFactory = (rand) => (list) => {
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
