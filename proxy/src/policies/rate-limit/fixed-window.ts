// A fixed window: at most `capacity` requests per window, counted from the window's start; the count
// starts over when the window ends. This is what "maxAmount requests per expiration" says (the ingress
// sidecar format): unlike a token bucket, no more than `capacity` ever pass within one window.
// Same interface as TokenBucket, so the rate-limit policy holds either. Times are ms on the caller's
// clock; like the bucket's, msUntil*() answer as of the last take() or isFull().

export class FixedWindow {
  readonly capacity: number;
  readonly windowMs: number;
  private used = 0;
  private startedAt: number;
  private lastNow: number;

  constructor(capacity: number, windowMs: number, now: number) {
    this.capacity = capacity;
    this.windowMs = windowMs;
    this.startedAt = now;
    this.lastNow = now;
  }

  private roll(now: number): void {
    this.lastNow = now;
    if (now - this.startedAt < this.windowMs) return;
    // Windows stay aligned to the first one, however long the gap.
    this.startedAt += Math.floor((now - this.startedAt) / this.windowMs) * this.windowMs;
    this.used = 0;
  }

  take(now: number): boolean {
    this.roll(now);
    if (this.used >= this.capacity) return false;
    this.used++;
    return true;
  }

  get remaining(): number {
    return this.capacity - this.used;
  }

  /** Milliseconds until a request may pass (0 when one may now). */
  msUntilToken(): number {
    return this.used < this.capacity ? 0 : this.msUntilFull();
  }

  /** Milliseconds until the window ends and the full quota is back. */
  msUntilFull(): number {
    return Math.max(0, this.startedAt + this.windowMs - this.lastNow);
  }

  /** An unused window holds no state worth keeping. */
  isFull(now: number): boolean {
    this.roll(now);
    return this.used === 0;
  }
}
