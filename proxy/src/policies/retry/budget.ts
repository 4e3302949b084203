// A retry budget (Envoy's retry_budget): retries in progress may be at most `percent` of the route's
// active requests, but at least `minConcurrent`. A dead upstream then sees the load grow by that share,
// not by the retry count times the load.

export class RetryBudget {
  private readonly ratio: number;
  private readonly minConcurrent: number;
  active = 0;

  constructor(percent: number, minConcurrent: number) {
    this.ratio = percent / 100;
    this.minConcurrent = minConcurrent;
  }

  /** Claims room for one retry against `activeRequests` requests in flight; false when exhausted. */
  tryAcquire(activeRequests: number): boolean {
    const allowed = Math.max(this.minConcurrent, Math.floor(this.ratio * activeRequests));
    if (this.active >= allowed) return false;
    this.active++;
    return true;
  }

  release(): void {
    this.active--;
  }
}
