// Every latency seen so far, in whole milliseconds, in bounded memory: one exact counter per millisecond
// up to EXACT_LIMIT_MS, then buckets 1 % wide (so p99 of minute-long requests is still within 1 %).
// Percentiles use the nearest-rank method: the smallest value with at least p % of the samples at or below it.

const EXACT_LIMIT_MS = 10_000;
/** Bucket i above the exact range holds values up to EXACT_LIMIT_MS * GROWTH^(i+1). */
const GROWTH = 1.01;

export interface LatencySummary {
  count: number;
  /** Whole milliseconds. */
  average: number;
  p95: number;
  p99: number;
}

export class LatencyRecorder {
  private readonly exact = new Float64Array(EXACT_LIMIT_MS + 1);
  private readonly wide = new Map<number, number>();
  private total = 0;
  private sum = 0;

  record(ms: number): void {
    const value = Math.max(0, Math.round(ms));
    this.total++;
    this.sum += value;
    if (value <= EXACT_LIMIT_MS) {
      this.exact[value]!++;
      return;
    }
    const bucket = Math.floor(Math.log(value / EXACT_LIMIT_MS) / Math.log(GROWTH));
    this.wide.set(bucket, (this.wide.get(bucket) ?? 0) + 1);
  }

  get count(): number {
    return this.total;
  }

  /** The p-th percentile (0 < p ≤ 100) in whole milliseconds; 0 with no samples. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let value = 0; value <= EXACT_LIMIT_MS; value++) {
      seen += this.exact[value] as number;
      if (seen >= rank) return value;
    }
    for (const bucket of [...this.wide.keys()].sort((a, b) => a - b)) {
      seen += this.wide.get(bucket) as number;
      // The bucket's upper bound: a percentile is never reported below the values it covers.
      if (seen >= rank) return Math.round(EXACT_LIMIT_MS * GROWTH ** (bucket + 1));
    }
    return Math.round(this.sum / this.total);
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      average: this.total === 0 ? 0 : Math.round(this.sum / this.total),
      p95: this.percentile(95),
      p99: this.percentile(99),
    };
  }
}
