// Exponential backoff with full jitter (Envoy, AWS): retry n waits a uniform time in
// [0, (2^n - 1) * base), capped at `max`.

export function backoffMs(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, (2 ** retry - 1) * baseMs);
  return random() * ceiling;
}
