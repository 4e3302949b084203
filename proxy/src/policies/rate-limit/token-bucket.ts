// A token bucket: `capacity` tokens, refilled continuously at capacity per window, one token a request.
// Times are milliseconds on the caller's clock.

export class TokenBucket {
  readonly capacity: number;
  /** Tokens added per millisecond. */
  readonly rate: number;
  tokens: number;
  updatedAt: number;

  constructor(capacity: number, windowMs: number, now: number) {
    this.capacity = capacity;
    this.rate = capacity / windowMs;
    this.tokens = capacity;
    this.updatedAt = now;
  }

  refill(now: number): void {
    if (now <= this.updatedAt) return;
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * this.rate);
    this.updatedAt = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whole tokens left (after the last refill). */
  get remaining(): number {
    return Math.floor(this.tokens);
  }

  /** Milliseconds until the next whole token (0 when one is there). */
  msUntilToken(): number {
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.rate;
  }

  /** Milliseconds until the bucket is full again. */
  msUntilFull(): number {
    return (this.capacity - this.tokens) / this.rate;
  }

  /** A full bucket holds no state worth keeping: a new one would be the same. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }
}
