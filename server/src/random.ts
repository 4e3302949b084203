// Randomness is passed in (never Math.random called deep inside) so tests can script every draw.

/** Returns a number in [0, 1), like Math.random. */
export type Random = () => number;

export interface Weighted<T> {
  value: T;
  weight: number;
}

/** Picks one item with probability proportional to its weight; weights must not all be zero. */
export function pickWeighted<T>(items: readonly Weighted<T>[], random: Random): T {
  let total = 0;
  for (const item of items) total += item.weight;
  // The profile schema bounds weights; this guards any other caller from a sum that overflowed.
  if (!Number.isFinite(total)) throw new Error('pickWeighted: the weights do not sum to a finite number');
  let target = random() * total;
  for (const item of items) {
    if (item.weight <= 0) continue;
    target -= item.weight;
    if (target < 0) return item.value;
  }
  // Floating point may leave a sliver past the last item: it belongs to the last one with weight.
  const last = items.findLast((item) => item.weight > 0);
  if (!last) throw new Error('pickWeighted: no item has a positive weight');
  return last.value;
}

/** A standard normal draw (Box-Muller), from two uniform draws. */
export function standardNormal(random: Random): number {
  // 1 - u lies in (0, 1], so the logarithm is finite.
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** An exponential draw with the given mean (inverse transform). */
export function exponential(mean: number, random: Random): number {
  return -mean * Math.log(1 - random()) + 0; // + 0 turns -0 into 0
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
