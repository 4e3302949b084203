// Recent runs for /probes: success ratio and latency percentiles over the last runs, bounded both by
// count and by age, so a probe every second and one every minute both show something meaningful.

export interface WindowSummary {
  runs: number;
  max_runs: number;
  max_age_seconds: number;
  success_ratio: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
}

export class RecentWindow {
  readonly #maxRuns: number;
  readonly #maxAgeMs: number;
  readonly #entries: { at: number; success: boolean; durationMs: number }[] = [];

  constructor(maxRuns = 100, maxAgeMs = 5 * 60_000) {
    this.#maxRuns = maxRuns;
    this.#maxAgeMs = maxAgeMs;
  }

  add(at: number, success: boolean, durationMs: number): void {
    this.#entries.push({ at, success, durationMs });
    if (this.#entries.length > this.#maxRuns) this.#entries.shift();
  }

  summary(now: number): WindowSummary {
    const recent = this.#entries.filter((entry) => now - entry.at <= this.#maxAgeMs);
    const durations = recent.map((entry) => entry.durationMs).sort((a, b) => a - b);
    const successes = recent.filter((entry) => entry.success).length;
    return {
      runs: recent.length,
      max_runs: this.#maxRuns,
      max_age_seconds: this.#maxAgeMs / 1000,
      success_ratio: recent.length === 0 ? null : round(successes / recent.length, 4),
      latency_p50_ms: percentile(durations, 0.5),
      latency_p95_ms: percentile(durations, 0.95),
    };
  }
}

/** Nearest-rank percentile of sorted values; null when there are none. */
export function percentile(sorted: readonly number[], quantile: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(quantile * sorted.length));
  return round(sorted[rank - 1] as number, 3);
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
