// Buckets (or fixed windows) by key (client IP, a header's value), bounded: full buckets are idle and are dropped on a
// periodic sweep; past `maxKeys`, the oldest key is evicted (its client starts over with a full bucket).
import { FixedWindow } from './fixed-window.ts';
import { TokenBucket } from './token-bucket.ts';

export type Algorithm = 'token-bucket' | 'fixed-window';
export type Bucket = TokenBucket | FixedWindow;

export class KeyedBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private nextSweep: number;
  private readonly algorithm: Algorithm;

  constructor(
    capacity: number,
    windowMs: number,
    maxKeys: number,
    now: number,
    algorithm: Algorithm = 'token-bucket',
  ) {
    this.algorithm = algorithm;
    this.capacity = capacity;
    this.windowMs = windowMs;
    this.maxKeys = maxKeys;
    this.nextSweep = now + windowMs;
  }

  get(key: string, now: number): Bucket {
    if (now >= this.nextSweep) this.sweep(now);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      bucket =
        this.algorithm === 'fixed-window'
          ? new FixedWindow(this.capacity, this.windowMs, now)
          : new TokenBucket(this.capacity, this.windowMs, now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.nextSweep = now + this.windowMs;
    for (const [key, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(key);
  }
}
